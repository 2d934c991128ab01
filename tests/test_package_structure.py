"""Package-wide conventions: light import, keyword-only public API."""

from __future__ import annotations

import inspect
import subprocess
import sys


def test_import_does_not_load_heavy_dependencies():
    heavy = "('torch', 'rdkit', 'matplotlib', 'lightgbm')"
    code = f"import sys, cellresponse; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_public_functions_have_few_positional_parameters():
    import cellresponse.data as data
    import cellresponse.evaluate as evaluate
    import cellresponse.splits as splits

    for module in (data, evaluate, splits):
        for name in module.__all__:
            obj = getattr(module, name)
            if not inspect.isfunction(obj):
                continue
            params = inspect.signature(obj).parameters.values()
            positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            assert len(positional) <= 3, f"{module.__name__}.{name} has {len(positional)} positional parameters"
            for p in positional:
                assert not isinstance(p.default, bool), f"{module.__name__}.{name}: positional boolean {p.name}"
