from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.splits import check_training_coverage, make_split, read_split_file

MODES = ["pair", "cell_line", "perturbation", "tissue", "both"]


def _groups(ds, mode):
    if mode == "pair":
        return pd.Series(list(zip(ds.cell_lines, ds.perturbations, strict=True)))
    if mode == "tissue":
        return pd.Series(ds.tissues)
    return pd.Series(ds.cell_lines if mode == "cell_line" else ds.perturbations)


@pytest.mark.parametrize("mode", MODES)
def test_groups_disjoint_across_train_valid_test(response_ds, mode):
    n_folds = 2 if mode == "tissue" else 3
    split = make_split(response_ds, mode=mode, n_folds=n_folds, seed=3)
    tested = []
    for f in split.folds:
        assert len(np.intersect1d(f.train, f.test)) == 0 and len(np.intersect1d(f.valid, f.test)) == 0
        keys = ["cell_line", "perturbation"] if mode == "both" else [mode]
        for key in keys:
            g = _groups(response_ds, key)
            assert not set(g[f.test]) & set(g[f.train]), f"{key} leaks into training"
            assert not set(g[f.test]) & set(g[f.valid]), f"{key} leaks into validation"
            if mode != "both":
                assert not set(g[f.valid]) & set(g[f.train]), "validation groups overlap training"
        tested.append(f.test)
    if mode != "both":
        allt = np.concatenate(tested)
        assert len(allt) == len(response_ds) == len(np.unique(allt))


def test_same_seed_same_split_and_hash(response_ds):
    a = make_split(response_ds, mode="lco", n_folds=3, seed=1)
    b = make_split(response_ds, mode="lco", n_folds=3, seed=1)
    c = make_split(response_ds, mode="lco", n_folds=3, seed=2)
    assert a.hash == b.hash != c.hash


def test_leave_one_tissue_out(response_ds):
    split = make_split(response_ds, mode="tissue", n_folds=None)
    assert split.n_folds == len(set(response_ds.tissues))
    for f in split.folds:
        assert len(set(response_ds.tissues[f.test])) == 1


def test_bad_modes_and_folds(response_ds):
    with pytest.raises(ValueError, match="unknown split mode 'nope'"):
        make_split(response_ds, mode="nope")
    with pytest.raises(ValueError, match="cannot make 50 folds from 40 groups"):
        make_split(response_ds, mode="lco", n_folds=50)


def test_split_file_round_trip(response_ds, tmp_path):
    split = make_split(response_ds, mode="lco", n_folds=3, seed=5)
    path = split.to_csv(tmp_path / "split.csv")
    again = read_split_file(path, response_ds, seed=5)
    for f, g in zip(split.folds, again.folds, strict=True):
        np.testing.assert_array_equal(np.sort(f.test), np.sort(g.test))
    pair = make_split(response_ds, mode="lpo", n_folds=3, seed=5)
    pair.to_csv(tmp_path / "pairs.csv")
    table = pd.read_csv(tmp_path / "pairs.csv")
    assert list(table.columns) == ["cell_line", "drug", "fold"]
    assert read_split_file(tmp_path / "pairs.csv", response_ds).n_folds == 3


def test_split_file_errors(response_ds, tmp_path):
    p = tmp_path / "s.csv"
    pd.DataFrame({"cell_line": ["CL000"], "fold": ["x"]}).to_csv(p, index=False)
    with pytest.raises(ValueError, match="must be an integer >= 0"):
        read_split_file(p, response_ds)
    pd.DataFrame({"cell_line": ["CL000"]}).to_csv(p, index=False)
    with pytest.raises(ValueError, match="no 'fold' column"):
        read_split_file(p, response_ds)
    pd.DataFrame({"cell_line": ["CL000", "CL000"], "fold": [0, 1]}).to_csv(p, index=False)
    with pytest.raises(ValueError, match="give one key two folds"):
        read_split_file(p, response_ds)
    pd.DataFrame({"cell_line": ["CL000", "CL001"], "fold": [0, 1]}).to_csv(p, index=False)
    with pytest.raises(ValueError, match=r"match no key.*--allow-unassigned"):
        read_split_file(p, response_ds)
    partial = read_split_file(p, response_ds, allow_unassigned=True, valid_fraction=0)
    assert partial.notes["unassigned_rows"] > 0
    pd.DataFrame({"cell_line": ["X1", "X2"], "fold": [0, 1]}).to_csv(p, index=False)
    with pytest.raises(ValueError, match="match none of dataset"):
        read_split_file(p, response_ds)
    p.write_text("cell_line,fold\n")
    with pytest.raises(ValueError, match="header but no data rows"):
        read_split_file(p, response_ds)


def test_split_file_ignores_and_reports_unknown_entities(response_ds, tmp_path, caplog):
    split = make_split(response_ds, mode="lco", n_folds=3, seed=2)
    table = pd.concat([split.assignment, pd.DataFrame({"cell_line": ["786-0", "U-266"], "fold": [0, 2]})])
    p = tmp_path / "s.csv"
    table.to_csv(p, index=False)
    again = read_split_file(p, response_ds, seed=2)
    assert again.hash == split.hash
    assert again.notes["unknown_keys"]["cell_line"] == {"n": 2, "examples": "786-0, U-266"}
    assert "2 cell_line keys not in dataset" in caplog.text


def test_split_file_resolves_cell_line_aliases(response_ds, tmp_path):
    p = tmp_path / "s.csv"
    lines = sorted(set(response_ds.cell_lines))
    pd.DataFrame({"cell_line": [f"alias-{c}" for c in lines], "fold": [i % 2 for i in range(len(lines))]}).to_csv(
        p, index=False
    )
    split = read_split_file(p, response_ds, resolve_cell_line=lambda keys: [k.removeprefix("alias-") for k in keys])
    assert split.n_folds == 2


def test_coverage_reports_drugs_without_training_rows(response_ds):
    split = make_split(response_ds, mode="ldo", n_folds=4)
    gaps = check_training_coverage(response_ds, split)
    assert set(gaps.loc[gaps["entity"] == "perturbation", "id"]) == set(response_ds.perturbations)
    assert (
        check_training_coverage(response_ds, make_split(response_ds, mode="lco"))
        .query("entity == 'perturbation'")
        .empty
    )


def _task_cases():
    from cellresponse.tasks import available_tasks, get_task

    return [(t, m) for t in available_tasks() for m in get_task(t).split_modes]


@pytest.mark.parametrize(("task", "mode"), _task_cases())
def test_every_mode_round_trips_through_its_split_file(task, mode, response_ds, synth, dependency_panel, tmp_path):
    data = {"response": response_ds, "expression": synth, "dependency": dependency_panel}[task]
    if mode.startswith("compound_"):  # structure splits need SMILES, which only the expression panel has
        data = synth
    if mode == "cross_study":  # two studies joined: the second half of the lines tested
        from dataclasses import replace

        from cellresponse.datasets import join_studies

        first = response_ds.obs["cell_line"].to_numpy() < "CL020"
        data = join_studies(replace(response_ds[first], name="a"), replace(response_ds[~first], name="b"))
    split = make_split(data, mode=mode, n_folds=3, seed=3)
    path = split.to_csv(tmp_path / "split.csv")
    again = read_split_file(path, data, seed=3)
    assert again.hash == split.hash and again.n_folds == split.n_folds
    for f, g in zip(split.folds, again.folds, strict=True):
        for a, b in ((f.train, g.train), (f.valid, g.valid), (f.test, g.test)):
            np.testing.assert_array_equal(a, b)
        assert not set(f.train) & set(f.test) and not set(f.valid) & set(f.test) and not set(f.train) & set(f.valid)
        assert len(f.test) and len(f.train)


def test_leave_both_out_validation_holds_out_lines_and_drugs(response_ds):
    split = make_split(response_ds, mode="lbo", n_folds=3, seed=1)
    for f in split.folds:
        for entity in (response_ds.cell_lines, response_ds.perturbations):
            train, valid, test = (set(entity[i]) for i in (f.train, f.valid, f.test))
            assert not train & test and not train & valid and valid  # valid lines and drugs unseen in training
    assert split.notes["rows_unused_per_fold"][0] > 0


def test_fixed_holdouts_train_on_minus_one_rows(synth, tmp_path):
    split = make_split(synth, mode="dose_extrapolation", seed=0)
    table = pd.read_csv(split.to_csv(tmp_path / "s.csv"))
    assert set(table["fold"]) == {-1, 0} and {"compound", "dose", "time"} <= set(table.columns)
    assert read_split_file(tmp_path / "s.csv", synth).mode == "dose_holdout"
