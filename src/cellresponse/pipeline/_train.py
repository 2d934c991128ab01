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
from cellresponse._util import examples, jsonable
from cellresponse.data import Dataset, FeatureView
from cellresponse.errors import InputError, UnknownIdError
from cellresponse.models import ResponseModel, check_model_params, domain_check
from cellresponse.results import atomic_write_bytes, check_output_file, prepare_output_dir
from cellresponse.splits import make_split
from cellresponse.uncertainty import (
    CALIBRATION_DIR,
    DEFAULT_LEVEL,
    CalibratedModel,
    calibration_summary,
    check_level,
    load_calibrated,
)

log = logging.getLogger("cellresponse")

#: What ``train`` writes into a model directory (what ``existing="overwrite"`` may replace).
MODEL_FILES = ("model.json", "arrays.safetensors", "training.json", "bundle.json", "reference", CALIBRATION_DIR)


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
    expression), used for early stopping and to calibrate the model's prediction intervals
    (saved in ``<out>/calibration/`` with the applicability domain of the training data;
    ``valid_fraction=0`` saves a model without intervals). The parameters and ``out`` are
    checked (and ``out`` locked) before anything is fitted; a non-empty ``out`` is refused
    (to replace a model, empty it first, as ``cellresponse train --overwrite`` does through
    :func:`cellresponse.results.prepare_output_dir` with ``owned=MODEL_FILES``).

    With ``cv_folds >= 2`` the model is first cross-validated beside the task's naive
    baselines on ``cv_folds`` folds that hold out groups the same way
    (:func:`cv_scores`); the scores go into the bundle's ``bundle.json``. The written
    directory is a bundle (:mod:`cellresponse.pipeline` ``read_bundle``) and still a
    plain saved model for :func:`cellresponse.models.load_model`. ``bundle_extras`` may
    carry a served ``name`` and ``calibration`` / ``explanations`` blocks.

    Raises
    ------
    InputError
        For parameters the model does not accept, a ``valid_fraction`` outside [0, 1) or
        ``cv_folds`` of 1 or below 0.
    OutputError
        If ``out`` cannot be used.
    """
    from cellresponse.evaluate import rows_for_models, seeded_params

    if not 0 <= valid_fraction < 1:
        raise InputError(f"--valid-fraction must be in [0, 1), got {valid_fraction!r}", source="--valid-fraction")
    if cv_folds == 1 or cv_folds < 0:
        raise InputError(f"--cv-folds must be 0 (no cross-validation) or >= 2, got {cv_folds}", source="--cv-folds")
    resolved = seeded_params(model, params or {}, seed)
    estimator = check_model_params(model, resolved)
    rows = rows_for_models(data, [model], {model: resolved})
    if rows.n_dropped:  # rows whose cell line or drug lacks a view the model reads
        log.warning("train %s: %d of %d rows dropped: %s", model, rows.n_dropped, len(data), rows.describe())
        data = data[rows.keep]
    with prepare_output_dir(out, owned=MODEL_FILES, what="model directory"):
        scores, note = None, f"not cross-validated (cv_folds={cv_folds})"
        if cv_folds:
            try:
                scores = cv_scores(data, model=model, params=params, n_folds=cv_folds, seed=seed)
            except ValueError as err:  # e.g. fewer groups than folds: the model is still trained
                note = f"cross-validation failed: {err}"
                logging.getLogger("cellresponse").warning("train: %s", note)
        extras = dict(bundle_extras or {}, row_filter=rows.to_dict())  # training.json records it
        if scores is None:
            extras.setdefault("scores_note", note)
        return _train(
            data, estimator, out=Path(out), resolved=resolved, valid_fraction=valid_fraction, seed=seed,
            scores=scores, extras=extras,
        )  # fmt: skip


def _train(
    data: Dataset,
    estimator: ResponseModel,
    *,
    out: Path,
    resolved: dict[str, Any],
    valid_fraction: float,
    seed: int,
    scores: Mapping[str, Any] | None,
    extras: dict[str, Any],
) -> ResponseModel:
    from cellresponse.pipeline._bundle import TrainingRecord, write_bundle
    from cellresponse.tasks import get_task

    task = get_task(data.task)
    full = data
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
    calibrated = CalibratedModel(estimator, note="trained with valid_fraction=0: no held-out data to calibrate on")
    if valid is not None and len(valid):
        # NaN validation predictions are left out of calibration and counted in training.json;
        # a model with no finite one is saved without intervals, the reason recorded there
        try:
            calibrated = CalibratedModel.calibrate(estimator, train=data, calibration=valid, nan_policy="drop")
        except ValueError as err:
            log.warning("%s: saved without intervals: %s", estimator.registry_name, err)
            calibrated = CalibratedModel(estimator, note=f"no intervals: {err}")
    path = calibrated.save(out)
    if calibrated.has_intervals:  # the served intervals rest on this block: without it, points only
        extras.setdefault("calibration", calibration_summary(calibrated))
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
        "calibration": calibration_summary(calibrated),
        "row_filter": extras.get("row_filter"),
    }
    atomic_write_bytes(path / "training.json", json.dumps(meta, indent=2).encode())
    return estimator


def describe_calibration(model_dir: PathLike) -> str:
    """One sentence on what a saved model's intervals rest on (or why it has none)."""
    calibrated = load_calibrated(model_dir)
    info = calibration_summary(calibrated)
    if not info["intervals"]:
        return str(info["note"])
    level = calibrated.config.level
    return (
        f"intervals calibrated on {info['n_calibration']} held-out values "
        f"({info['n_nan_dropped']} NaN predictions left out); {info['n_groups']} Mondrian groups, "
        f"{info.get(f'n_fallback@{level:g}', 0)} of them too small (< {info['min_group_size']} points) at level "
        f"{level:g} and using the pooled quantile"
    )


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
        # scores only: the served intervals are calibrated once, on the final model's validation part
        options=RunOptions(progress=False, ablations=(), uncertainty=None),
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
    max_missing: float = 0.5,
    impute: bool = False,
) -> Dataset:
    """A Dataset of (cell line, drug) pairs to predict, with features by ID.

    Features come from ``reference`` (a loaded dataset) for known IDs, and from new omics
    rows (``cell_views``: view name -> frame indexed by cell-line ID, columns = features)
    and new SMILES (``smiles``: drug ID -> SMILES) for new ones. New rows override.

    An omics row with more than ``max_missing`` of its values missing is an error naming
    it, unless ``impute``: then every row with missing values is filled with the
    reference's (else the given rows') feature means, and its observations carry the
    imputed fraction in ``obs["imputed"]``.

    Raises
    ------
    InputError
        For pairs without ``cell_line``/``drug`` columns or with empty IDs, omics rows
        that are mostly missing or hold non-finite values, omics that lack the
        reference's features, or invalid SMILES.
    """
    source = str(pairs.attrs.get("source", "pairs"))  # the file, when the caller read one
    cols = {str(c).strip().lower(): c for c in pairs.columns}
    cell_col = cols.get("cell_line")
    drug_col = cols.get("drug") or cols.get("perturbation")
    if cell_col is None or drug_col is None:
        raise InputError(f"{source} needs columns 'cell_line' and 'drug'; got {list(pairs.columns)}", source=source)
    for col in (cell_col, drug_col):
        empty = pairs[col].isna().to_numpy() | (pairs[col].astype(str).str.strip() == "").to_numpy()
        if empty.any():
            rows = np.flatnonzero(empty) + 1
            raise InputError(f"{source}: column {col!r} is empty at data row(s) {examples(rows)}", source=source,
                             row=int(rows[0]))  # fmt: skip
    obs = pd.DataFrame({"cell_line": pairs[cell_col].astype(str), "perturbation": pairs[drug_col].astype(str)})
    views: dict[str, FeatureView] = dict(reference.cell_views) if reference is not None else {}
    imputed = pd.Series(0.0, index=pd.Index([], dtype=object))
    for name, frame in (cell_views or {}).items():
        frame, fractions = _checked_rows(frame, name, views.get(name), max_missing=max_missing, impute=impute)
        imputed = pd.concat([imputed, fractions[fractions > 0]])
        new = FeatureView.from_frame(frame, name=name)
        if name in views:
            old = views[name]
            missing = old.feature_names.difference(new.feature_names)
            if len(missing):
                raise InputError(
                    f"new {name} rows ({frame.attrs.get('source', f'--{name}')}) lack {len(missing)} features the "
                    f"reference has (e.g. {list(missing[:5])})",
                    source=f"--{name}",
                )
            keep = old.to_frame().drop(index=new.ids, errors="ignore")
            merged = pd.concat([keep, frame[old.feature_names]])
            new = FeatureView.from_frame(merged, name=name, kind=old.kind)
        views[name] = new
    if impute:
        by_line = imputed.groupby(level=0).max()
        obs["imputed"] = by_line.reindex(obs["cell_line"]).fillna(0.0).to_numpy()
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


def _checked_rows(
    frame: pd.DataFrame, name: str, reference: FeatureView | None, *, max_missing: float, impute: bool
) -> tuple[pd.DataFrame, pd.Series]:
    """``frame`` (new omics rows) checked: numeric, finite, not mostly missing (or imputed).

    Returns the frame and the fraction of each row's values that were imputed.
    """
    source = str(frame.attrs.get("source", f"--{name}"))  # the file, when the caller read one
    values = frame.apply(pd.to_numeric, errors="coerce")
    bad = values.isna() & frame.notna()
    if bad.to_numpy().any():
        r, c = (int(i[0]) for i in np.nonzero(bad.to_numpy()))
        raise InputError(
            f"{source}: row {frame.index[r]!r}, column {frame.columns[c]!r} holds {frame.iat[r, c]!r}; "
            "expected a number",
            source=source,
            key=frame.index[r],
        )
    arr = values.to_numpy(dtype=np.float64)
    if np.isinf(arr).any():
        r, c = (int(i[0]) for i in np.nonzero(np.isinf(arr)))
        raise InputError(f"{source}: row {frame.index[r]!r}, column {frame.columns[c]!r} is infinite",
                         source=source, key=frame.index[r])  # fmt: skip
    missing = np.isnan(arr).mean(axis=1) if arr.shape[1] else np.zeros(len(arr))
    fractions = pd.Series(np.where(missing > 0, missing, 0.0), index=frame.index.astype(str))
    mostly = missing > max_missing
    if mostly.any() and not impute:
        rows = [f"{frame.index[i]!r} ({missing[i]:.0%} missing)" for i in np.flatnonzero(mostly)[:5]]
        raise InputError(
            f"{source}: {int(mostly.sum())} row(s) are mostly missing: {', '.join(rows)}; "
            f"give the values, or pass --impute-missing to fill them with feature means (flagged per row)",
            source=source,
            key=frame.index[int(np.flatnonzero(mostly)[0])],
        )
    if impute and np.isnan(arr).any():
        if reference is not None:
            means = reference.to_frame().mean(axis=0).reindex(values.columns).to_numpy(dtype=np.float64)
        else:
            seen = ~np.isnan(arr)
            counts = seen.sum(axis=0)
            means = np.where(counts > 0, np.where(seen, arr, 0.0).sum(axis=0) / np.maximum(counts, 1), np.nan)
        if np.isnan(means).any():
            col = values.columns[int(np.flatnonzero(np.isnan(means))[0])]
            raise InputError(f"{source}: column {col!r} has no value to impute from", source=source)
        arr = np.where(np.isnan(arr), means[None, :], arr)
        values = pd.DataFrame(arr, index=values.index, columns=values.columns)
    return values, fractions


def _calibrated(model: PathLike | ResponseModel | CalibratedModel) -> CalibratedModel:
    """A saved model directory with its calibration, a calibrated model, or a model object
    without one."""
    if isinstance(model, CalibratedModel):
        return model
    if isinstance(model, ResponseModel):
        return CalibratedModel(model, note="a fitted model object carries no calibration: no intervals")
    return load_calibrated(model)


def predict(
    model: PathLike | ResponseModel | CalibratedModel,
    data: Dataset,
    *,
    allow_unknown: bool = False,
    level: float = DEFAULT_LEVEL,
) -> pd.DataFrame:
    """Predictions of a model (a saved model directory, a :class:`CalibratedModel` or a
    fitted model, which has no intervals) for every observation of ``data``, with intervals.

    Columns: ``cell_line``, the perturbation, ``prediction``, ``lower``, ``upper``, ``level``
    (``prediction_set`` for class targets), the novelty scores
    (:data:`cellresponse.uncertainty.NOVELTY_COLUMNS`), ``out_of_domain`` and
    ``domain_notes``. A model saved without calibration predicts NaN bounds;
    ``attrs["note"]`` (also logged) says why.

    Cell lines and perturbations the model does not know (neither trained on nor given
    features of) are an error listing them with the closest known IDs; with
    ``allow_unknown`` their rows get NaN and a ``status`` column says why, never a
    fallback value. A non-finite prediction is an error.

    Raises
    ------
    InputError
        For unknown IDs (unless ``allow_unknown``) or non-finite predictions.
    ValueError
        If ``level`` is not in (0, 1).
    """
    check_level(level)
    calibrated = _calibrated(model)
    model = calibrated.model
    check = domain_check(model, data)
    if not check.ok.all() and not allow_unknown:
        raise UnknownIdError(
            check.message(data, source="the model cannot predict these pairs")
            + "; check the IDs, give features of new entities (--expression, --smiles), "
            "or pass --allow-unknown to get NaN with a status for them",
            source="--pairs",
        )
    pred = np.full(len(data), np.nan, dtype=np.float32)
    rows = np.flatnonzero(check.ok)
    extra = None
    if len(rows):
        table = calibrated.predict_table(data[rows] if len(rows) < len(data) else data, level=level)
        pred[rows] = table["prediction"].to_numpy(dtype=np.float32)
        # intervals and novelty of the predicted rows; the rows not predicted get none
        extra = table.iloc[:, 3:].set_axis(rows).reindex(np.arange(len(data)))
    bad = rows[~np.isfinite(pred[rows])]
    if len(bad):
        shown = ", ".join(f"{data.cell_lines[i]}/{data.perturbations[i]}" for i in bad[:5])
        raise InputError(f"the model gave {len(bad)} non-finite prediction(s), e.g. for {shown}; "
                         "check the omics rows of these cell lines", source="--pairs")  # fmt: skip
    out = data.obs[["cell_line", "perturbation"]].rename(columns={"perturbation": data.perturbation_kind})
    out = out.assign(prediction=pred)
    if extra is not None:
        out = pd.concat([out.reset_index(drop=True), extra.reset_index(drop=True)], axis=1)
    out.attrs.update(intervals=calibrated.has_intervals, note=calibrated.note)
    if not calibrated.has_intervals:
        log.warning("%s", calibrated.note)
    if "imputed" in data.obs.columns:
        out["imputed"] = data.obs["imputed"].to_numpy()
    if allow_unknown:
        out["status"] = check.status().to_numpy()
    return out


def predict_signature_table(
    model: PathLike | ResponseModel,
    *,
    smiles: str,
    cell_line: str,
    dose: float,
    time: float,
    allow_extrapolation: bool = False,
    level: float = DEFAULT_LEVEL,
) -> pd.DataFrame:
    """The predicted signature (``gene, prediction, lower, upper, level, extrapolated``) of
    an expression model for ``smiles`` in ``cell_line`` at ``dose`` µM and ``time`` h;
    ``attrs`` hold the signature's ``confidence``, its ``novelty`` and the ``note`` of a
    model without calibration (NaN bounds).

    Dose and time must be finite and positive. Outside the range the model was trained on
    they are refused unless ``allow_extrapolation``, and then every row says
    ``extrapolated`` (true).

    Raises
    ------
    InputError
        For a dose or time that is not finite and positive, or outside the training range
        without ``allow_extrapolation``; an unknown cell line; non-finite predictions.
    """
    from cellresponse.models.expression import predict_signature
    from cellresponse.pipeline._signatures import dose_time_flags

    check_level(level)
    calibrated = _calibrated(model)
    model = calibrated.model
    domain = getattr(model, "domain_", None) or {}
    seen = {k: domain[k] for k in ("dose", "time") if domain.get(k)}
    outside = dose_time_flags(dose=dose, time=time, seen=seen, field_prefix="--")
    if outside and not allow_extrapolation:
        raise InputError("; ".join(outside) + "; pass --allow-extrapolation to predict it anyway (flagged "
                         "'extrapolated' in the output)", source="--dose")  # fmt: skip
    signature = predict_signature(model, smiles=smiles, cell_line=cell_line, dose=dose, time=time)
    if not np.isfinite(signature.to_numpy()).all():
        raise InputError(f"the model gave non-finite predictions for {smiles!r} in {cell_line!r}", source="--dose")
    table = calibrated.signature_table(signature, smiles=smiles, cell_line=cell_line, dose=dose, time=time, level=level)
    table["extrapolated"] = bool(outside)
    return table


def write_table(frame: pd.DataFrame, path: PathLike) -> Path:
    """Write a prediction table as CSV, atomically (its folder is created)."""
    p = check_output_file(path)
    atomic_write_bytes(p, frame.to_csv(index=False, float_format="%.6g").encode("utf-8"))
    return p


__all__ = [
    "MODEL_FILES",
    "cv_scores",
    "describe_calibration",
    "pairs_dataset",
    "predict",
    "predict_signature_table",
    "train",
    "write_table",
]
