"""Golden results directories (``tests/data/archives/format<N>_<task>``) still load,
re-render and re-score to what they hold; other formats are refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cellresponse.evaluate import score_predictions
from cellresponse.report import build_report
from cellresponse.results import FORMAT_VERSION, RESULT_COLUMNS, read_results
from cellresponse.tasks import ScoreContext, get_task

ARCHIVES = Path(__file__).resolve().parents[1] / "data" / "archives"
DIRS = sorted(p for p in ARCHIVES.glob("format*_*") if p.is_dir())


def test_every_task_has_an_archive_of_the_current_format():
    assert {p.name for p in DIRS} >= {f"format{FORMAT_VERSION}_{t}" for t in ("response", "expression", "dependency")}


@pytest.mark.parametrize("archive", DIRS, ids=[p.name for p in DIRS])
def test_archive_loads_and_rerenders(archive, tmp_path):
    copy = tmp_path / archive.name
    shutil.copytree(archive, copy)
    res = read_results(copy)
    assert res.complete and list(res.results.columns) == RESULT_COLUMNS and len(res.leaderboard)
    assert len(res.predictions) == len(res.predictions.obs) > 0
    html = build_report(copy).read_text()
    assert "Leaderboard" in html and "data:image/png;base64," in html


@pytest.mark.parametrize("archive", DIRS, ids=[p.name for p in DIRS])
def test_archive_rescores_to_its_results(archive):
    res = read_results(archive)
    task = get_task(res.task)
    again = score_predictions(res.predictions, ScoreContext.from_config(res.config), task)
    key = ["model", "fold", "metric", "group_by", "group"]
    a = res.results.set_index(key)["value"].sort_index()
    b = again.set_index(key)["value"].sort_index()
    assert a.index.equals(b.index)
    np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-8, atol=1e-12, equal_nan=True)


def test_damaged_tables_are_refused(tmp_path):
    copy = tmp_path / "r"
    shutil.copytree(ARCHIVES / f"format{FORMAT_VERSION}_response", copy)
    (copy / "summary.csv").write_text("")
    with pytest.raises(ValueError, match=r"summary\.csv is empty"):
        read_results(copy)
    pd.DataFrame({"a": [1]}).to_csv(copy / "summary.csv", index=False)
    with pytest.raises(ValueError, match="has columns"):
        read_results(copy)
    (copy / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_results(copy)
    doc = {"format_version": FORMAT_VERSION + 1, "cellresponse_version": "9.9"}
    (copy / "config.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=f"format_version {FORMAT_VERSION + 1}"):
        read_results(copy)
