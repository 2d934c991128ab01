"""The bad-input table (``tests/bad_input_table.py``): no traceback, no made-up value, no
nonsense accepted, and every refusal is one line naming the command."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _table_module():
    path = Path(__file__).with_name("bad_input_table.py")
    spec = importlib.util.spec_from_file_location("bad_input_table", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bad_input_table", module)  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def test_every_bad_input_ends_in_a_clear_refusal(tmp_path):
    table = _table_module()
    outcomes = table.build_table(tmp_path)
    report = table.render(outcomes)
    assert not [o for o in outcomes if o.traceback], report
    assert not [o for o in outcomes if o.made_up], report
    assert not [o for o in outcomes if o.accepted_nonsense], report
    for o in outcomes:
        if o.case.kind == "Ctrl-C":
            assert o.code == 130 and "interrupted; partial results in" in o.message, report
        elif o.case.kind == "closed pipe":
            assert o.code == 141 and o.message == "(quiet)", report
        elif o.code != 0:
            assert o.code == 2 and o.message.startswith(f"cellresponse {o.case.command}: error: "), report
    assert len(outcomes) >= 80 and len({o.case.kind for o in outcomes}) >= 30
