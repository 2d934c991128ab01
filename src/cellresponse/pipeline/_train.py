"""Library functions behind ``cellresponse train`` and ``cellresponse predict``."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import jsonable
from cellresponse.data import Dataset, FeatureView
from cellresponse.models import ResponseModel, load_model, make_model
from cellresponse.splits import make_split

log = logging.getLogger("cellresponse")


def train(
    data: Dataset,
    *,
    model: str,
    out: PathLike,
    params: dict[str, Any] | None = None,
    valid_fraction: float = 0.1,
    seed: int = 0,
    cv_folds: int = 0,
    bundle_extras: Mapping[str, Any] | None = None,
) -> ResponseModel:
    """Fit ``model`` on all of ``data`` and save it to ``out`` as a servable bundle.

    ``seed`` seeds the model (its ``random_state``, unless ``params`` sets it) and the
    inner validation part: a ``valid_fraction`` of whole groups held out the way the
    dataset's task holds them out (cell lines for response and dependency, compounds for
    expression), used for early stopping.

    With ``cv_folds >= 2`` the model is first cross-validated beside the task's naive
    baselines on ``cv_folds`` folds that hold out groups the same way
    (:func:`cv_scores`); the scores go into the bundle's ``bundle.json``. The written
    directory is a bundle (:mod:`cellresponse.pipeline` ``read_bundle``) and still a
    plain saved model for :func:`cellresponse.models.load_model`. ``bundle_extras`` may
    carry a served ``name`` and ``calibration`` / ``explanations`` blocks.
    """
    from cellresponse.evaluate import rows_for_models, seeded_params
    from cellresponse.pipeline._bundle import TrainingRecord, write_bundle
    from cellresponse.tasks import get_task

    task = get_task(data.task)
    if cv_folds == 1 or cv_folds < 0:
        raise ValueError(f"cv_folds must be 0 (no cross-validation) or >= 2, got {cv_folds}")
    resolved = seeded_params(model, params or {}, seed)
    estimator = make_model(model, **resolved)
    rows = rows_for_models(data, [model], {model: resolved})
    if rows.n_dropped:  # rows whose cell line or drug lacks a view the model reads
        log.warning("train %s: %d of %d rows dropped: %s", model, rows.n_dropped, len(data), rows.describe())
        data = data[rows.keep]
    full = data
    scores, note = None, f"not cross-validated (cv_folds={cv_folds})"
    if cv_folds:
        try:
            scores = cv_scores(full, model=model, params=params, n_folds=cv_folds, seed=seed)
        except ValueError as err:  # e.g. fewer groups than folds: the model is still trained
            note = f"cross-validation failed: {err}"
            logging.getLogger("cellresponse").warning("train: %s", note)
    valid = None
    split_hash = None
    if valid_fraction > 0:
        split = make_split(data, mode=task.validation_mode, n_folds=2, seed=seed, valid_fraction=valid_fraction)
        split_hash = split.hash
        fold = split.folds[0]
        # Train on everything but a validation slice of groups; the test half is folded back in.
        train_idx = np.sort(np.concatenate([fold.train, fold.test]))
        valid = data[fold.valid]
        data = data[train_idx]
    estimator.fit(data, valid=valid)
    path = estimator.save(out)
    extras = dict(bundle_extras or {})
    if scores is None:
        extras.setdefault("scores_note", note)
    record = TrainingRecord(
        seed=seed,
        valid_fraction=valid_fraction,
        n_train=len(data),
        n_valid=0 if valid is None else len(valid),
        valid_split_hash=split_hash,
        params=jsonable(estimator.get_params(deep=False)),
    )
    write_bundle(path, model=estimator, data=full, record=record, scores=scores, extras=extras)
    meta = {
        "dataset": data.name,
        "task": data.task,
        "target": data.target,
        "n_train": len(data),
        "n_valid": 0 if valid is None else len(valid),
        "seed": seed,
        "params": jsonable(resolved),
        "dataset_fingerprint": data.fingerprint(),
        "row_filter": rows.to_dict(),
    }
    (path / "training.json").write_text(json.dumps(meta, indent=2))
    return estimator


#: leaderboard columns kept in a bundle's score table, when the task reports them
_SCORE_COLUMNS_MAX = 8


def cv_scores(
    data: Dataset,
    *,
    model: str,
    params: Mapping[str, Any] | None = None,
    n_folds: int = 3,
    seed: int = 0,
) -> dict[str, Any]:
    """Cross-validated scores of ``model`` beside the task's naive baselines (same folds).

    The folds hold out whole groups the way the task's inner validation does (cell lines
    for response and dependency, compounds for expression), through the one engine
    (:func:`cellresponse.evaluate.run_benchmark`, no ablations, nothing written).

    Returns
    -------
    dict
        ``method`` (in words), ``split_mode``, ``n_folds``, ``seed``, ``split_hash``,
        ``primary_metric``, ``best_baseline``, ``table`` (one row per model: ``model``,
        ``baseline``, the primary metric's mean and fold sd and the task's headline
        metrics) and ``test`` (paired one-sided Wilcoxon of the model against the best
        baseline, when the task computes one).
    """
    from cellresponse.evaluate import RunOptions, run_benchmark
    from cellresponse.tasks import get_task

    task = get_task(data.task)
    split = make_split(data, mode=task.validation_mode, n_folds=n_folds, seed=seed)
    result = run_benchmark(
        data,
        models=[model],
        split=split,
        model_params={model: dict(params or {})},
        seed=seed,
        options=RunOptions(progress=False, ablations=()),
    )
    primary = str(result.config["primary_metric"])
    board = result.board
    keep = [c for c in board.columns if not str(c).startswith("gain ") and c != "baseline"][:_SCORE_COLUMNS_MAX]
    rows = []
    for name, row in board.iterrows():
        entry: dict[str, Any] = {"model": str(name), "baseline": bool(row["baseline"])}
        for col in keep:
            value = row[col]
            entry[str(col)] = None if pd.isna(value) else float(value)
        rows.append(entry)
    best = result.config.get("best_baseline")
    # The model may itself be one of the task's baselines (expr_ridge): compare it with the
    # best of the others then.
    others = board[board["baseline"] & (board.index != model)]
    reference = (
        best if best != model else (str(others[primary].idxmax()) if len(others) and primary in others else None)
    )
    test = None
    stats = result.stats
    if len(stats) and reference is not None:
        sel = stats[(stats["model"] == model) & (stats["reference"] == reference)]
        sel = sel[[primary.startswith(str(m)) for m in sel["metric"]]]
        sel = sel.sort_values("over", key=lambda s: s != data.perturbation_kind, kind="stable")
        if len(sel):
            first = sel.iloc[0]
            test = {"reference": reference} | {
                k: jsonable(first[k]) for k in ("metric", "over", "alternative", "n", "median_diff", "pvalue")
            }
    return {
        "method": (
            f"{n_folds}-fold cross-validation holding out whole {task.validation_mode.replace('_', ' ')}s "
            f"(seed {seed}); {model} and the {task.name} task's naive baselines on the same folds"
        ),
        "split_mode": split.mode,
        "n_folds": n_folds,
        "seed": seed,
        "split_hash": split.hash,
        "primary_metric": primary,
        "best_baseline": best,
        "table": rows,
        "test": test,
    }


def pairs_dataset(
    pairs: pd.DataFrame,
    *,
    reference: Dataset | None,
    cell_views: dict[str, pd.DataFrame] | None = None,
    smiles: pd.Series | None = None,
    radius: int = 2,
    n_bits: int = 2048,
) -> Dataset:
    """A Dataset of (cell line, drug) pairs to predict, with features by ID.

    Features come from ``reference`` (a loaded dataset) for known IDs, and from new omics
    rows (``cell_views``: view name -> frame indexed by cell-line ID, columns = features)
    and new SMILES (``smiles``: drug ID -> SMILES) for new ones. New rows override.
    """
    cols = {c.lower(): c for c in pairs.columns}
    cell_col = cols.get("cell_line")
    drug_col = cols.get("drug") or cols.get("perturbation")
    if cell_col is None or drug_col is None:
        raise ValueError(f"pairs need columns 'cell_line' and 'drug'; got {list(pairs.columns)}")
    obs = pd.DataFrame({"cell_line": pairs[cell_col].astype(str), "perturbation": pairs[drug_col].astype(str)})
    views: dict[str, FeatureView] = dict(reference.cell_views) if reference is not None else {}
    for name, frame in (cell_views or {}).items():
        new = FeatureView.from_frame(frame, name=name)
        if name in views:
            old = views[name]
            missing = old.feature_names.difference(new.feature_names)
            if len(missing):
                raise ValueError(
                    f"new {name} rows lack {len(missing)} features the reference has (e.g. {list(missing[:5])})"
                )
            keep = old.to_frame().drop(index=new.ids, errors="ignore")
            merged = pd.concat([keep, frame[old.feature_names]])
            new = FeatureView.from_frame(merged, name=name, kind=old.kind)
        views[name] = new
    drug_views: dict[str, FeatureView] = dict(reference.perturbation_views) if reference is not None else {}
    if smiles is not None:
        from cellresponse.features import morgan_fingerprints

        fp = morgan_fingerprints(smiles, radius=radius, n_bits=n_bits)
        if "morgan" in drug_views:
            old = drug_views["morgan"].to_frame().drop(index=fp.ids, errors="ignore")
            fp = FeatureView.from_frame(
                pd.concat([old, fp.to_frame().set_axis(old.columns, axis=1)]), name="morgan", kind="binary"
            )
        drug_views["morgan"] = fp
    cell_meta = reference.cell_meta if reference is not None else pd.DataFrame()
    return Dataset(
        obs=obs,
        y=np.zeros(len(obs)),
        target=reference.target if reference is not None else "prediction",
        task=reference.task if reference is not None else "response",
        cell_views=views,
        perturbation_views=drug_views,
        cell_meta=cell_meta,
        name="prediction_request",
    )


def predict(model_dir: PathLike, data: Dataset) -> pd.DataFrame:
    """Predictions of a saved model for every observation of ``data``."""
    model = load_model(model_dir)
    pred = model.predict(data)
    out = data.obs[["cell_line", "perturbation"]].rename(columns={"perturbation": data.perturbation_kind})
    return out.assign(prediction=pred)


def write_table(frame: pd.DataFrame, path: PathLike) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(p, index=False, float_format="%.6g")
    return p


__all__ = ["cv_scores", "pairs_dataset", "predict", "train", "write_table"]
