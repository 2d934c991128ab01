"""Library functions behind ``cellresponse train`` and ``cellresponse predict``."""

from __future__ import annotations

import json
import logging
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
) -> ResponseModel:
    """Fit ``model`` on all of ``data`` and save it to ``out``.

    ``seed`` seeds the model (its ``random_state``, unless ``params`` sets it) and the
    inner validation part: a ``valid_fraction`` of whole groups held out the way the
    dataset's task holds them out (cell lines for response and dependency, compounds for
    expression), used for early stopping.
    """
    from cellresponse.evaluate import rows_for_models, seeded_params
    from cellresponse.tasks import get_task

    task = get_task(data.task)
    resolved = seeded_params(model, params or {}, seed)
    estimator = make_model(model, **resolved)
    rows = rows_for_models(data, [model], {model: resolved})
    if rows.n_dropped:  # rows whose cell line or drug lacks a view the model reads
        log.warning("train %s: %d of %d rows dropped: %s", model, rows.n_dropped, len(data), rows.describe())
        data = data[rows.keep]
    valid = None
    if valid_fraction > 0:
        split = make_split(data, mode=task.validation_mode, n_folds=2, seed=seed, valid_fraction=valid_fraction)
        fold = split.folds[0]
        # Train on everything but a validation slice of groups; the test half is folded back in.
        train_idx = np.sort(np.concatenate([fold.train, fold.test]))
        valid = data[fold.valid]
        data = data[train_idx]
    estimator.fit(data, valid=valid)
    path = estimator.save(out)
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


__all__ = ["pairs_dataset", "predict", "train", "write_table"]
