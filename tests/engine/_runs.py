"""The small command-line benchmark the interruption and executor tests run, and the
byte-for-byte comparison of two of its results directories."""

from __future__ import annotations

from pathlib import Path

#: Results files two runs of one configuration write byte for byte.
SAME = ("results.csv", "summary.csv", "stats.csv", "leaderboard.csv", "ablation.csv", "split.csv",
        "predictions/values.npz", "predictions/obs.csv.gz", "predictions/index.json")  # fmt: skip
#: 6 models (5 baselines + ridge) x 3 folds = 18 cells on the embedded demo panel.
DEMO_RUN = ["benchmark", "--dataset", "gdsc2_demo", "--folds", "3", "--models", "ridge_per_drug",
            "--param", "ridge_per_drug.n_top_genes=50", "--no-progress"]  # fmt: skip


def assert_same_results(a: Path, b: Path, *, missing_ok: bool = False) -> None:
    """The files :data:`SAME` and every extras table of ``a`` and ``b`` are identical (with
    ``missing_ok``, a file neither directory has is skipped)."""
    for name in SAME:
        if not missing_ok or (a / name).exists() or (b / name).exists():
            assert (a / name).read_bytes() == (b / name).read_bytes(), name
    extras_a = sorted(p.name for p in (a / "extras").glob("*.csv")) if (a / "extras").is_dir() else []
    extras_b = sorted(p.name for p in (b / "extras").glob("*.csv")) if (b / "extras").is_dir() else []
    assert extras_a == extras_b
    for name in extras_a:
        assert (a / "extras" / name).read_bytes() == (b / "extras" / name).read_bytes(), name
