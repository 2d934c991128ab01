"""The table of bad-input classes x commands: exit code and message of each case.

Every case gives one command bad input of one class (a missing, empty, header-only,
truncated or random file; wrong columns, types or duplicated keys; unknown or odd IDs;
NaN/inf/out-of-range numbers; an unusable or busy output location; damaged model and
results files; an interrupt, a closed pipe) and records how the command ended. A case
ends well when the command refuses with exit 2 and one line ``cellresponse <command>:
error: ...`` (or, for an interrupt, exit 130 naming the partial results; for a closed
pipe, a quiet exit). Counted separately: tracebacks (or exit 1), made-up values (a
number where there should be none), and nonsense accepted (exit 0 where the input must
be refused).

    python tests/bad_input_table.py      # prints the table and the counts

``tests/test_bad_input_table.py`` runs it in CI and asserts no traceback, no made-up
value and no accepted nonsense.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class Case:
    """One bad input given to one command."""

    kind: str
    command: str
    args: Callable[[Workspace], list[str]]
    #: for a case whose command may succeed: True when its outputs hold a made-up value
    made_up: Callable[[Workspace], bool] | None = None
    #: run as a separate process (interrupts, pipes)
    process: Callable[[Workspace], tuple[int, str]] | None = None


@dataclass
class Outcome:
    case: Case
    code: int
    message: str
    traceback: bool = False
    made_up: bool = False

    @property
    def accepted_nonsense(self) -> bool:
        return self.code == 0 and self.case.made_up is None and self.case.process is None


@dataclass
class Workspace:
    """Inputs shared by the cases: a trained model, results directories, small files."""

    root: Path
    files: dict[str, Path] = field(default_factory=dict)
    processes: list[subprocess.Popen] = field(default_factory=list)

    def __getitem__(self, key: str) -> str:
        return str(self.files[key])

    def new(self, name: str) -> str:
        """A fresh path (not created) under the workspace."""
        path = self.root / "fresh" / f"{len(list((self.root / 'fresh').glob('*')))}_{name}"
        (self.root / "fresh").mkdir(exist_ok=True)
        return str(path)

    def write(self, name: str, data: bytes | str) -> str:
        path = Path(self.new(name))
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return str(path)

    def copy(self, key: str) -> Path:
        dst = Path(self.new(Path(self.files[key]).name))
        shutil.copytree(self.files[key], dst)
        return dst


# ----------------------------------------------------------------- workspace
def build_workspace(root: Path) -> Workspace:
    """Train a model, run a small benchmark and write the valid inputs the cases damage."""
    from cellresponse.cli import main
    from cellresponse.data.synthetic_expression import SyntheticExpressionPanel, make_expression_dataset
    from cellresponse.datasets import load_dataset
    from cellresponse.models import make_model

    ws = Workspace(root)
    demo = load_dataset("gdsc2_demo")
    make_model("ridge_per_drug", n_top_genes=100, one_hot_tissue=False).fit(demo).save(root / "model")
    make_model("drug_mean").fit(demo).save(root / "other_model")
    synth = make_expression_dataset(
        SyntheticExpressionPanel(n_cell_lines=4, n_compounds=6, n_genes=20, n_bits=64), random_state=1
    )
    make_model("expr_ridge").fit(synth).save(root / "expr_model")
    quick = ["benchmark", "--dataset", "gdsc2_demo", "--models", "global_mean", "--no-baselines", "--folds", "3",
             "--no-progress"]  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for name, extra in (("results", []), ("shard", ["--only-folds", "0"]), ("shard_b", ["--only-folds", "1,2"])):
            assert main([*quick, *extra, "--out", str(root / name)]) == 0
    lines, drugs = demo.cell_lines, sorted(set(demo.perturbations))
    pairs = pd.DataFrame({"cell_line": lines[:3], "drug": drugs[:3]})
    (root / "pairs.csv").write_text(pairs.to_csv(index=False))
    expr = demo.cell_view("expression").to_frame().iloc[:2].copy()
    expr.index = ["NEW-1", "NEW-2"]
    (root / "expr.csv").write_text(expr.rename_axis("cell_line").to_csv())
    rng = np.random.default_rng(0)
    samples = [f"s{i}" for i in range(6)]
    counts = pd.DataFrame(rng.poisson(30, size=(40, 6)), index=[f"g{i}" for i in range(40)], columns=samples)
    (root / "counts.csv").write_text(counts.rename_axis("gene").to_csv())
    (root / "samples.csv").write_text(pd.DataFrame({"sample": samples, "cond": ["a", "b"] * 3}).to_csv(index=False))
    x = pd.DataFrame(rng.normal(size=(20, 8)), index=[f"x{i}" for i in range(20)], columns=[f"g{j}" for j in range(8)])
    (root / "matrix.csv").write_text(x.rename_axis("sample").to_csv())
    (root / "labels.csv").write_text(pd.DataFrame({"sample": x.index, "cls": ["p", "q"] * 10}).to_csv(index=False))
    (root / "genes.txt").write_text("FKBP5\nTSC22D3\nPER1\nKLF9\nDUSP1\n")
    ws.files.update(
        model=root / "model", other_model=root / "other_model", expr_model=root / "expr_model",
        results=root / "results", shard=root / "shard", shard_b=root / "shard_b", pairs=root / "pairs.csv",
        expr=root / "expr.csv", counts=root / "counts.csv", samples=root / "samples.csv",
        matrix=root / "matrix.csv", labels=root / "labels.csv", genes=root / "genes.txt",
    )  # fmt: skip
    ws.files["line0"], ws.files["expr_line"] = Path(lines[0]), Path(str(synth.cell_lines[0]))
    return ws


# --------------------------------------------------------------------- cases
def _pairs(ws: Workspace, drug: str, line: str | None = None) -> str:
    return ws.write("pairs.csv", f"cell_line,drug\n{line or ws['line0']},{drug}\n")


def _predict(ws: Workspace, pairs: str, *extra: str) -> list[str]:
    return ["predict", "--model", ws["model"], "--pairs", pairs, "--dataset", "gdsc2_demo", *extra]


def _predict_out(ws: Workspace, pairs: str, *extra: str) -> list[str]:
    out = ws.new("p.csv")
    ws.files["last_out"] = Path(out)
    return [*_predict(ws, pairs, *extra), "--out", out]


def _predicted_number_for_bad_row(ws: Workspace) -> bool:
    """A finite prediction on a row whose status is not ``ok`` (or any row without a status)."""
    out = ws.files.get("last_out")
    if out is None or not Path(out).is_file():
        return False
    table = pd.read_csv(out)
    bad = table["status"] != "ok" if "status" in table else pd.Series(True, index=table.index)
    return bool(np.isfinite(table.loc[bad, "prediction"]).any())


def _signature(ws: Workspace, dose: str, *extra: str, cell_line: str | None = None) -> list[str]:
    return ["predict", "--model", ws["expr_model"], "--compound-smiles", "CCO", "--cell-line",
            cell_line or ws["expr_line"], "--dose", dose, "--time", "24", *extra]  # fmt: skip


def _damage_model(ws: Workspace, how: str) -> str:
    from safetensors.numpy import load_file, save_file

    path = ws.copy("model")
    arrays = dict(load_file(str(path / "arrays.safetensors")))
    if how == "truncated":
        arrays["coef"] = arrays["coef"][:1]
    elif how == "nan":
        arrays["coef"] = arrays["coef"].copy()
        arrays["coef"][0, 0] = np.nan
    if how in ("truncated", "nan"):
        save_file(arrays, str(path / "arrays.safetensors"))
    elif how == "other":
        shutil.copy(Path(ws["other_model"]) / "arrays.safetensors", path / "arrays.safetensors")
    elif how == "random":
        (path / "arrays.safetensors").write_bytes(np.random.default_rng(0).bytes(4096))
    elif how == "deleted":
        (path / "arrays.safetensors").unlink()
    elif how == "tampered":
        doc = json.loads((path / "model.json").read_text())
        doc["params"]["n_top_genes"] = 50
        (path / "model.json").write_text(json.dumps(doc))
    elif how == "old":
        doc = json.loads((path / "model.json").read_text())
        for key in ("file_version", "checksum", "arrays", "domain"):
            doc.pop(key)
        (path / "model.json").write_text(json.dumps(doc))
    return str(path)


def _damage_results(ws: Workspace, how: str, key: str = "results") -> str:
    path = ws.copy(key)
    if how == "truncated table":  # results.csv cut in half
        lines = (path / "results.csv").read_text().splitlines(keepends=True)
        (path / "results.csv").write_text("".join(lines[: len(lines) // 2]))
    elif how == "garbage config.json":
        (path / "config.json").write_bytes(b"\x00\x01garbage")
    elif how == "truncated predictions":
        data = (path / "predictions" / "obs.csv.gz").read_bytes()
        (path / "predictions" / "obs.csv.gz").write_bytes(data[: len(data) // 2])
    elif how == "incomplete":
        doc = json.loads((path / "config.json").read_text())
        doc["complete"] = False
        (path / "config.json").write_text(json.dumps(doc))
    return str(path)


def _gz_truncated(ws: Workspace, key: str, name: str) -> str:
    data = gzip.compress(Path(ws[key]).read_bytes(), mtime=0)
    return ws.write(name, data[: len(data) // 2])


def _locked_by_live_process(ws: Workspace) -> list[str]:
    out = Path(ws.new("busy"))
    out.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    ws.processes.append(sleeper)
    doc = {"pid": sleeper.pid, "host": socket.gethostname(), "started": "now", "command": "cellresponse benchmark"}
    (out / ".cellresponse.lock").write_text(json.dumps(doc))
    return ["benchmark", "--dataset", "gdsc2_demo", "--out", str(out), "--no-progress"]


def _stale_lock(ws: Workspace) -> list[str]:
    out = Path(ws.new("stale"))
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    doc = {"pid": dead.pid, "host": socket.gethostname(), "started": "then", "command": "cellresponse benchmark"}
    (out / ".cellresponse.lock").write_text(json.dumps(doc))
    return ["benchmark", "--dataset", "gdsc2_demo", "--out", str(out), "--no-progress"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def _ctrl_c(ws: Workspace) -> tuple[int, str]:
    out = Path(ws.new("interrupted"))
    cmd = [sys.executable, "-m", "cellresponse.cli", "benchmark", "--dataset", "gdsc2_demo", "--folds", "3",
           "--models", "ridge_per_drug", "--param", "ridge_per_drug.n_top_genes=50", "--no-progress",
           "--out", str(out)]  # fmt: skip
    # SIGINT at its default in the child: a suite started in the background inherits it ignored,
    # and Python then never raises KeyboardInterrupt (the CLI rightly keeps an ignored SIGINT)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_env(),
                            preexec_fn=functools.partial(signal.signal, signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    deadline = time.monotonic() + 300
    while not list((out / "cells").glob("*/*.json")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    return proc.returncode, err


def _closed_pipe(ws: Workspace) -> tuple[int, str]:
    proc = subprocess.Popen([sys.executable, "-m", "cellresponse.cli", "data", "models"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env())  # fmt: skip
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


BENCH = ["benchmark", "--dataset", "gdsc2_demo", "--models", "ridge_per_drug", "--no-progress"]


def _bench(ws: Workspace, *extra: str) -> list[str]:
    return [*BENCH, *extra] if "--out" in extra else [*BENCH, *extra, "--out", ws.new("o")]


def _train(ws: Workspace, *extra: str, model: str = "drug_mean") -> list[str]:
    out = [] if "--out" in extra else ["--out", ws.new("m")]
    return ["train", "--dataset", "gdsc2_demo", "--model", model, *extra, *out]


def _de(ws: Workspace, *, counts: str | None = None, samples: str | None = None, out: str | None = None) -> list[str]:
    return ["de", "--counts", counts or ws["counts"], "--samples", samples or ws["samples"], "--contrast", "cond,b,a",
            "--out", out or ws.new("o")]  # fmt: skip


def _explore(ws: Workspace, *extra: str, matrix: str | None = None, labels: str | None = None) -> list[str]:
    out = [] if "--out" in extra else ["--out", ws.new("o")]
    return ["explore", "--matrix", matrix or ws["matrix"], "--labels", labels or ws["labels"], *extra, *out]


def _split(ws: Workspace, text: str) -> list[str]:
    return _bench(ws, "--split-file", ws.write("split.csv", text.replace("LINE", ws["line0"])))


def _expr_file(ws: Workspace, old: str, new: str, count: int = 1) -> str:
    return ws.write("e.csv", Path(ws["expr"]).read_text().replace(old, new, count))


def _new_line(ws: Workspace, *extra: str) -> list[str]:
    return _predict(ws, _pairs(ws, "Camptothecin", "NEW-1"), *extra)


def _bad_row(ws: Workspace) -> bool:
    return _predicted_number_for_bad_row(ws)


def _model_case(how: str) -> Case:
    return Case(
        f"model: {how}",
        "predict",
        lambda ws: ["predict", "--model", _damage_model(ws, how), "--pairs", ws["pairs"], "--dataset", "gdsc2_demo"],
    )


def _enrich(ws: Workspace, *extra: str) -> list[str]:
    return ["enrich", "--genes", ws["genes"], *extra, "--out", ws.new("o")]


def _rand(ws: Workspace, name: str, seed: int, n: int = 300) -> str:
    return ws.write(name, np.random.default_rng(seed).bytes(n))


CASES: list[Case] = [
    # missing / empty / header-only / truncated / random / directory files
    Case("missing file", "predict", lambda ws: _predict(ws, ws.new("none.csv"))),
    Case("missing file", "predict", lambda ws: ["predict", "--model", ws.new("none"), "--pairs", ws["pairs"]]),
    Case("missing file", "de", lambda ws: _de(ws, counts=ws.new("none.csv"))),
    Case("missing file", "enrich", lambda ws: ["enrich", "--genes", ws.new("none.txt"), "--out", ws.new("o")]),
    Case("missing file", "benchmark", lambda ws: _bench(ws, "--split-file", ws.new("none.csv"))),
    Case("missing file", "benchmark", lambda ws: _bench(ws, "--config", ws.new("none.toml"))),
    Case("missing file", "report", lambda ws: ["report", ws.new("none")]),
    Case("missing file", "merge", lambda ws: ["merge", ws.new("none"), ws["shard_b"], "--out", ws.new("m")]),
    Case("empty file", "predict", lambda ws: _predict(ws, ws.write("empty.csv", b""))),
    Case("empty file", "de", lambda ws: _de(ws, counts=ws.write("empty.csv", b""))),
    Case("empty file", "explore", lambda ws: _explore(ws, matrix=ws.write("empty.csv", b""))),
    Case("empty file", "enrich", lambda ws: ["enrich", "--genes", ws.write("empty.txt", b""), "--out", ws.new("o")]),
    Case("empty file", "benchmark", lambda ws: _bench(ws, "--split-file", ws.write("split.csv", b""))),
    Case("empty file", "benchmark", lambda ws: _bench(ws, "--config", ws.write("run.toml", b""), "--folds", "124")),
    Case("header-only file", "predict", lambda ws: _predict(ws, ws.write("pairs.csv", "cell_line,drug\n"))),
    Case("header-only file", "de", lambda ws: _de(ws, samples=ws.write("s.csv", "sample,cond\n"))),
    Case("header-only file", "benchmark", lambda ws: _split(ws, "cell_line,fold\n")),
    Case("header-only file", "explore", lambda ws: _explore(ws, labels=ws.write("l.csv", "sample,cls\n"))),
    Case(
        "header-only file",
        "enrich",
        lambda ws: _enrich(ws, "--gene-map", ws.write("map.csv", "id,symbol\n")),
    ),
    Case("truncated gzip", "de", lambda ws: _de(ws, counts=_gz_truncated(ws, "counts", "counts.csv.gz"))),
    Case("truncated gzip", "predict", lambda ws: _new_line(ws, "--expression", _gz_truncated(ws, "expr", "e.csv.gz"))),
    Case("truncated gzip", "report", lambda ws: ["report", _damage_results(ws, "truncated predictions")]),
    Case("random bytes", "predict", lambda ws: _predict(ws, _rand(ws, "pairs.csv", 1))),
    Case("random bytes", "de", lambda ws: _de(ws, counts=_rand(ws, "c.csv", 2))),
    Case("random bytes", "benchmark", lambda ws: _bench(ws, "--config", _rand(ws, "run.toml", 3, 200))),
    Case("random bytes", "report", lambda ws: ["report", _damage_results(ws, "garbage config.json")]),
    Case("directory as file", "predict", lambda ws: _predict(ws, str(Path(ws["pairs"]).parent))),
    Case("directory as file", "de", lambda ws: _de(ws, counts=str(Path(ws["counts"]).parent))),
    # wrong columns / types / duplicated keys
    Case("missing column", "predict", lambda ws: _predict(ws, ws.write("p.csv", f"cell_line,x\n{ws['line0']},y\n"))),
    Case("missing column", "benchmark", lambda ws: _split(ws, "cell_line\nLINE\n")),
    Case(
        "missing column",
        "predict",
        lambda ws: _predict(ws, ws["pairs"], "--smiles", ws.write("s.csv", "drug,smi\nx,C\n")),
    ),
    Case("wrong type", "predict", lambda ws: _new_line(ws, "--expression", _odd_value(ws))),
    Case("wrong type", "benchmark", lambda ws: _split(ws, "cell_line,fold\nLINE,x\n")),
    Case("wrong type", "benchmark", lambda ws: _bench(ws, "--config", ws.write("run.toml", 'folds = "abc"\n'))),
    Case(
        "wrong type",
        "de",
        lambda ws: _de(ws, counts=ws.write("c.csv", Path(ws["counts"]).read_text().replace("\ng0,", "\ng0,x", 1))),
    ),
    Case("duplicated keys", "predict", lambda ws: _new_line(ws, "--expression", _expr_file(ws, "NEW-2", "NEW-1"))),
    Case("duplicated keys", "de", lambda ws: _de(ws, samples=ws.write("s.csv", "sample,cond\ns0,a\ns0,b\n"))),
    Case("duplicated keys", "benchmark", lambda ws: _split(ws, "cell_line,fold\nLINE,0\nLINE,1\n")),
    Case("duplicated header", "predict", lambda ws: _predict(ws, ws.write("p.csv", "cell_line,drug,drug\nA,b,c\n"))),
    # IDs
    Case("unknown ID", "predict", lambda ws: _predict_out(ws, _pairs(ws, "NoSuchDrug")), _bad_row),
    Case("unknown ID", "predict", lambda ws: _predict_out(ws, _pairs(ws, "Camptothecin", "NOT-A-LINE")), _bad_row),
    Case("other case", "predict", lambda ws: _predict_out(ws, _pairs(ws, "camptothecin")), _bad_row),
    Case("padded ID", "predict", lambda ws: _predict_out(ws, _pairs(ws, " Camptothecin ")), _bad_row),
    Case("unicode ID", "predict", lambda ws: _predict_out(ws, _pairs(ws, "Camptothecin\u200b")), _bad_row),
    Case(
        "unknown ID, --allow-unknown",
        "predict",
        lambda ws: _predict_out(ws, _pairs(ws, "NoSuchDrug"), "--allow-unknown"),
        _bad_row,
    ),
    Case(
        "unknown ID",
        "predict",
        lambda ws: _signature(ws, "1", cell_line="NOT-A-LINE"),
    ),
    Case("unknown name", "benchmark", lambda ws: ["benchmark", "--dataset", "gdsc2_demo", "--models", "nope"]),
    Case("unknown name", "benchmark", lambda ws: ["benchmark", "--dataset", "nope", "--out", ws.new("o")]),
    Case("unknown name", "train", lambda ws: _train(ws, model="nope")),
    Case("unknown name", "benchmark", lambda ws: _bench(ws, "--split", "nope")),
    # NaN / inf / out-of-range numbers
    Case(
        "all-NaN omics row",
        "predict",
        lambda ws: _predict_out(ws, _pairs(ws, "Camptothecin", "NEW-2"), "--expression", _nan_row(ws)),
        _bad_row,
    ),
    Case("dose inf", "predict", lambda ws: _signature(ws, "inf")),
    Case("dose nan", "predict", lambda ws: _signature(ws, "nan")),
    Case("dose -1", "predict", lambda ws: _signature(ws, "-1")),
    Case("dose 1e300", "predict", lambda ws: _signature(ws, "1e300")),
    Case("bad --param", "benchmark", lambda ws: _bench(ws, "--param", "ridge_per_drug.n_top_genes=abc")),
    Case("bad --param", "benchmark", lambda ws: _bench(ws, "--param", "ridge_per_drug.n_top_genes=-5")),
    Case("bad --param", "benchmark", lambda ws: _bench(ws, "--param", "ridge_per_drug.n_top_gens=5")),
    Case("bad --param", "train", lambda ws: _train(ws, "--param", "trainer__lr=abc", model="mlp_all")),
    Case("bad --param", "train", lambda ws: _train(ws, "--param", "num_leaves=1", model="lightgbm")),
    Case("out of range", "benchmark", lambda ws: _bench(ws, "--folds", "1")),
    Case("out of range", "benchmark", lambda ws: _bench(ws, "--folds", "124")),
    Case("out of range", "benchmark", lambda ws: _bench(ws, "--min-group-size", "-1")),
    Case("out of range", "benchmark", lambda ws: _bench(ws, "--valid-fraction", "1.5")),
    Case("out of range", "benchmark", lambda ws: _bench(ws, "--seed", "-1")),
    Case("out of range", "train", lambda ws: _train(ws, "--valid-fraction", "1")),
    Case("out of range", "explore", lambda ws: _explore(ws, "--min-class-size", "2", "--k-grid", "5,500")),
    Case("out of range", "de", lambda ws: [*_de(ws), "--alpha", "0"]),
    Case("out of range", "enrich", lambda ws: _enrich(ws, "--alpha", "2")),
    # output locations
    Case("--out is a file", "benchmark", lambda ws: _bench(ws, "--out", ws["pairs"])),
    Case("--out is a file", "train", lambda ws: _train(ws, "--out", ws["pairs"])),
    Case("--out is a file", "de", lambda ws: _de(ws, out=ws["pairs"])),
    Case("--out under a file", "merge", lambda ws: ["merge", ws["shard"], ws["shard_b"], "--out", ws["pairs"] + "/m"]),
    Case("--out is a directory", "predict", lambda ws: [*_predict(ws, ws["pairs"]), "--out", str(ws.root)]),
    Case("--out not empty", "benchmark", lambda ws: _bench(ws, "--out", ws["results"])),
    Case("--out not empty", "train", lambda ws: _train(ws, "--out", ws["model"])),
    Case("--out not empty", "explore", lambda ws: _explore(ws, "--out", str(ws.root))),
    Case("--out is a shard", "merge", lambda ws: ["merge", ws["shard"], ws["shard_b"], "--out", ws["shard"]]),
    Case("--out busy (live lock)", "benchmark", _locked_by_live_process),
    Case("--out stale lock", "benchmark", _stale_lock),
    # model and results files
    *[_model_case(how) for how in ("truncated", "nan", "other", "random", "deleted", "tampered", "old")],
    Case("model: not a model", "predict", lambda ws: ["predict", "--model", ws["results"], "--pairs", ws["pairs"]]),
    Case("results: truncated results.csv", "report", lambda ws: ["report", _damage_results(ws, "truncated table")]),
    Case("results: not a results dir", "report", lambda ws: ["report", ws["model"]]),
    Case("results: same shard twice", "merge", lambda ws: ["merge", ws["shard"], ws["shard"], "--out", ws.new("m")]),
    Case(
        "results: incomplete shard",
        "merge",
        lambda ws: ["merge", _damage_results(ws, "incomplete", "shard"), ws["shard_b"], "--out", ws.new("m")],
    ),
    Case(
        "results: truncated shard",
        "merge",
        lambda ws: [
            "merge",
            _damage_results(ws, "truncated table", "shard"),
            ws["shard_b"],
            "--out",
            ws.new("m"),
        ],
    ),
    # interrupts and pipes
    Case("Ctrl-C", "benchmark", lambda ws: [], process=_ctrl_c),
    Case("closed pipe", "data", lambda ws: [], process=_closed_pipe),
]


def _odd_value(ws: Workspace) -> str:
    """An --expression file with text where a number belongs."""
    frame = pd.read_csv(ws["expr"], index_col=0).astype(object)
    frame.iloc[0, 3] = "abc"
    return ws.write("e.csv", frame.to_csv())


def _nan_row(ws: Workspace) -> str:
    """An --expression file whose second row (NEW-2) is all missing."""
    frame = pd.read_csv(ws["expr"], index_col=0)
    frame.iloc[1, :] = np.nan
    return ws.write("e.csv", frame.to_csv())


# ----------------------------------------------------------------------- run
def run_case(case: Case, ws: Workspace) -> Outcome:
    """Run one case and classify how it ended."""
    from cellresponse.cli import main

    if case.process is not None:
        code, err = case.process(ws)
        message = err.strip().splitlines()[-1] if err.strip() else "(quiet)"
        return Outcome(case, code, message, traceback="Traceback" in err)
    ws.files.pop("last_out", None)
    stderr = io.StringIO()
    try:
        args = case.args(ws)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(stderr):
            code = main(args)
    except BaseException as err:
        return Outcome(case, -1, f"{type(err).__name__}: {err}", traceback=True)
    finally:
        while ws.processes:
            proc = ws.processes.pop()
            proc.kill()
            proc.wait()
    err = stderr.getvalue()
    lines = [line for line in err.strip().splitlines() if line.strip()]
    message = lines[-1] if lines else "(no message)"
    made_up = bool(case.made_up and code == 0 and case.made_up(ws))
    return Outcome(case, code, message, traceback=code == 1 or "Traceback" in err, made_up=made_up)


def build_table(root: Path) -> list[Outcome]:
    ws = build_workspace(root)
    return [run_case(case, ws) for case in CASES]


def render(outcomes: list[Outcome], *, width: int = 150) -> str:
    rows = ["| bad input | command | exit | message |", "|---|---|---|---|"]
    for o in outcomes:
        msg = o.message.replace("|", "/")
        msg = msg if len(msg) <= width else msg[: width - 3] + "..."
        rows.append(f"| {o.case.kind} | {o.case.command} | {o.code} | {msg} |")
    n_tb = sum(o.traceback for o in outcomes)
    n_made = sum(o.made_up for o in outcomes)
    n_nonsense = sum(o.accepted_nonsense for o in outcomes)
    rows.append("")
    rows.append(
        f"{len(outcomes)} cases ({len({o.case.kind for o in outcomes})} classes x "
        f"{len({o.case.command for o in outcomes})} commands): {n_tb} tracebacks, {n_made} made-up values, "
        f"{n_nonsense} accepted nonsense"
    )
    return "\n".join(rows)


def main() -> int:
    os.environ.setdefault("MPLBACKEND", "Agg")
    with tempfile.TemporaryDirectory() as tmp:
        outcomes = build_table(Path(tmp))
    print(render(outcomes))
    return 0 if not any(o.traceback or o.made_up or o.accepted_nonsense for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
