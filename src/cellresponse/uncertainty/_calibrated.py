"""A fitted model with its calibration and applicability domain, saved beside it.

:class:`CalibratedModel` wraps any fitted :class:`~cellresponse.models.ResponseModel`
without changing it: point predictions come from the model, intervals from a split
conformal calibrator fitted on held-out residuals, novelty from a domain model fitted on
the training data. ``save`` writes the model as usual and the calibration into
``<model dir>/calibration/`` (JSON + safetensors, no pickle); a model directory without
that folder (saved before intervals existed, or trained without a validation part)
loads with ``has_intervals`` false and predicts NaN bounds, saying why in ``note``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse.data import Dataset
from cellresponse.models import ResponseModel, load_model
from cellresponse.uncertainty._conformal import (
    CLASS_TARGETS,
    DEFAULT_LEVEL,
    DEFAULT_VARIANT,
    IntervalCalibrator,
    NanPolicy,
    check_level,
    prediction_sets,
    signature_confidence,
)
from cellresponse.uncertainty._domain import NOVELTY_COLUMNS, DomainConfig, DomainModel, domain_reasons
from cellresponse.uncertainty._engine import UncertaintyConfig

log = logging.getLogger("cellresponse")
CALIBRATION_DIR = "calibration"
CALIBRATION_JSON = "calibration.json"
CALIBRATION_ARRAYS = "arrays.safetensors"
CALIBRATION_FORMAT = 1
NO_CALIBRATION = (
    "this model has no intervals: its directory has no calibration (saved before cellresponse "
    "calibrated models, or trained with --valid-fraction 0); retrain with a validation part to get them"
)


@dataclass
class Intervals:
    """Point predictions with their intervals and novelty.

    Attributes
    ----------
    prediction, lower, upper
        ``(n,)`` or ``(n, n_targets)``; bounds are NaN when the model has no calibration.
    level
        The coverage level of the intervals.
    novelty
        One row per observation: :data:`cellresponse.uncertainty.NOVELTY_COLUMNS` and
        ``domain_notes`` (why an observation is out of domain); NaN without a domain.
    confidence
        Vector targets: per-signature confidence (:func:`signature_confidence`).
    """

    prediction: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float
    novelty: pd.DataFrame
    confidence: np.ndarray | None = None


class CalibratedModel:
    """A fitted model, its conformal calibrator and its applicability domain.

    Parameters
    ----------
    model
        A fitted model (it is used, never changed).
    calibrator, domain
        Fitted :class:`IntervalCalibrator` and :class:`DomainModel`, or None (no intervals).
    config
        The :class:`UncertaintyConfig` they were fitted with.

    Examples
    --------
    >>> from cellresponse.data.synthetic import make_response_dataset
    >>> from cellresponse.models import make_model
    >>> ds = make_response_dataset(n_cell_lines=24, n_genes=8, n_drugs=4, random_state=0)
    >>> train, cal, new = ds[:60], ds[60:80], ds[80:]
    >>> model = make_model("drug_mean").fit(train)
    >>> table = CalibratedModel.calibrate(model, train=train, calibration=cal).predict_table(new, level=0.8)
    >>> list(table.columns[:6])
    ['cell_line', 'drug', 'prediction', 'lower', 'upper', 'level']
    """

    def __init__(
        self,
        model: ResponseModel,
        *,
        calibrator: IntervalCalibrator | None = None,
        domain: DomainModel | None = None,
        config: UncertaintyConfig | None = None,
        note: str = "",
    ) -> None:
        self.model = model
        self.calibrator = calibrator
        self.domain = domain
        self.config = config or UncertaintyConfig()
        self.note = note

    @property
    def has_intervals(self) -> bool:
        """Whether this model was calibrated (else bounds are NaN and :attr:`note` says why)."""
        return self.calibrator is not None

    @classmethod
    def calibrate(
        cls,
        model: ResponseModel,
        *,
        train: Dataset,
        calibration: Dataset,
        config: UncertaintyConfig | None = None,
        nan_policy: NanPolicy = "raise",
    ) -> CalibratedModel:
        """Calibrate a fitted ``model`` on held-out ``calibration`` data (groups the model
        never saw in training, held out the way its use will be) and fit the domain on
        ``train``, the data the model was fitted on.

        Raises
        ------
        ValueError
            For an empty calibration set, or NaN residuals under ``nan_policy="raise"``.
        """
        cfg = config or UncertaintyConfig()
        if len(calibration) == 0:
            raise ValueError("the calibration set is empty; hold out a validation part to calibrate on")
        domain = DomainModel(cfg.domain).fit(train)
        residuals = calibration.y.astype(np.float64) - np.asarray(model.predict(calibration), dtype=np.float64)
        calibrator = IntervalCalibrator(min_group_size=cfg.min_group_size).fit(
            residuals,
            groups=None if calibration.is_vector_target else calibration.perturbations,
            sigmas=domain.difficulty(calibration),
            nan_policy=nan_policy,
        )
        return cls(model, calibrator=calibrator, domain=domain, config=cfg)

    # ------------------------------------------------------------------ predict
    def predict_intervals(
        self, data: Dataset, *, level: float = DEFAULT_LEVEL, variant: str = DEFAULT_VARIANT
    ) -> Intervals:
        """Predictions of ``data`` with intervals at ``level`` and novelty scores.

        Raises
        ------
        ValueError
            If ``level`` is not in (0, 1) or ``variant`` is unknown.
        """
        level = check_level(level)
        pred = np.asarray(self.model.predict(data), dtype=np.float64)
        if self.domain is not None:
            novelty = self.domain.score(data)
            novelty["domain_notes"] = domain_reasons(novelty, self.domain.config).to_numpy()
        else:
            novelty = pd.DataFrame({c: np.full(len(data), np.nan) for c in NOVELTY_COLUMNS})
            novelty["out_of_domain"] = pd.array([pd.NA] * len(data), dtype="boolean")
            novelty["domain_notes"] = "no applicability domain saved with this model"
        if self.calibrator is None or self.domain is None:
            nan = np.full(pred.shape, np.nan)
            return Intervals(
                pred, nan, nan.copy(), level, novelty, np.full(len(data), np.nan) if pred.ndim == 2 else None
            )
        hw = self.calibrator.halfwidth(
            level,
            variant=variant,
            groups=None if pred.ndim == 2 else data.perturbations,
            sigmas=self.domain.difficulty(data),
            n=len(data),
        )
        confidence = signature_confidence(pred, hw) if pred.ndim == 2 else None
        return Intervals(pred, pred - hw, pred + hw, level, novelty, confidence)

    def predict_table(
        self, data: Dataset, *, level: float = DEFAULT_LEVEL, variant: str = DEFAULT_VARIANT
    ) -> pd.DataFrame:
        """Scalar targets: one row per observation with ``cell_line``, the perturbation,
        ``prediction``, ``lower``, ``upper``, ``level``, ``prediction_set`` (class targets:
        the class codes inside the interval, ``;``-joined), the novelty scores,
        ``out_of_domain`` and ``domain_notes``."""
        if data.is_vector_target:
            raise ValueError("predict_table is for scalar targets; use predict_intervals for signatures")
        res = self.predict_intervals(data, level=level, variant=variant)
        keys = data.obs[["cell_line", "perturbation"]].rename(columns={"perturbation": data.perturbation_kind})
        table = keys.reset_index(drop=True).assign(
            prediction=res.prediction, lower=res.lower, upper=res.upper, level=res.level
        )
        classes = CLASS_TARGETS.get(data.target)
        if classes is not None:  # class targets: the classes inside the interval
            members = prediction_sets(res.prediction, (res.upper - res.lower) / 2, classes=classes)
            labels = [";".join(f"{c:g}" for c, m in zip(classes, row, strict=True) if m) for row in members]
            table["prediction_set"] = labels if self.has_intervals else ""
        return pd.concat([table, res.novelty.reset_index(drop=True)], axis=1)

    def predict_signature(
        self,
        *,
        smiles: str,
        cell_line: str,
        dose: float,
        time: float,
        level: float = DEFAULT_LEVEL,
    ) -> pd.DataFrame:
        """Expression models: the signature of ``smiles`` in ``cell_line`` at ``dose`` µM and
        ``time`` h, one row per gene with ``prediction``, ``lower``, ``upper`` and ``level``;
        ``attrs`` hold the signature's ``confidence``, its novelty row and :attr:`note`.

        Raises
        ------
        ValueError
            For a bad level, an invalid SMILES or a non-positive dose or time.
        """
        from cellresponse.models.expression import predict_signature

        level = check_level(level)
        point = predict_signature(self.model, smiles=smiles, cell_line=cell_line, dose=dose, time=time)
        return self.signature_table(point, smiles=smiles, cell_line=cell_line, dose=dose, time=time, level=level)

    def signature_table(
        self,
        point: pd.Series,
        *,
        smiles: str,
        cell_line: str,
        dose: float,
        time: float,
        level: float = DEFAULT_LEVEL,
    ) -> pd.DataFrame:
        """The intervals of a signature already predicted (``point``: one value per gene,
        e.g. from a bundle), as :meth:`predict_signature` returns them.

        Raises
        ------
        ValueError
            For a bad level or an invalid SMILES.
        """
        level = check_level(level)
        table = point.rename("prediction").rename_axis("gene").reset_index()
        table["lower"], table["upper"], table["level"] = np.nan, np.nan, level
        table.attrs.update(confidence=np.nan, novelty={}, note=self.note)
        if self.calibrator is None or self.domain is None:
            return table
        query = _signature_query(
            self.domain, smiles=smiles, cell_line=cell_line, dose=dose, time=time, genes=point.index
        )
        hw = self.calibrator.halfwidth(level, variant=DEFAULT_VARIANT, sigmas=self.domain.difficulty(query), n=1)[0]
        table["lower"], table["upper"] = table["prediction"] - hw, table["prediction"] + hw
        novelty = self.domain.score(query)
        novelty["domain_notes"] = domain_reasons(novelty, self.domain.config).to_numpy()
        pred = table["prediction"].to_numpy()[None, :]
        table.attrs.update(
            confidence=float(signature_confidence(pred, hw[None, :])[0]), novelty=novelty.iloc[0].to_dict()
        )
        return table

    # ------------------------------------------------------------------ save / load
    def save(self, path: PathLike) -> Path:
        """Write the model (its own format) and, if calibrated, ``calibration/`` beside it."""
        out = self.model.save(path)
        if self.calibrator is not None and self.domain is not None:
            save_calibration(out, calibrator=self.calibrator, domain=self.domain, config=self.config)
        return out

    @classmethod
    def load(cls, path: PathLike) -> CalibratedModel:
        """Load a saved model with its calibration; without one, ``has_intervals`` is false
        and :attr:`note` says why (never an error: older model directories still load)."""
        model = load_model(path)
        state = read_calibration(path)
        if state is None:
            return cls(model, note=NO_CALIBRATION)
        calibrator, domain, config = state
        return cls(model, calibrator=calibrator, domain=domain, config=config)


def _signature_query(
    domain: DomainModel, *, smiles: str, cell_line: str, dose: float, time: float, genes: pd.Index
) -> Dataset:
    """A one-row expression dataset for the domain model: the compound's fingerprint with the
    bit count the training fingerprints had."""
    from cellresponse.chem import morgan_fingerprints

    query_id = "__query__"
    views = {}
    if domain.fp_view_ is not None and domain.fp_bits_.size:
        views[domain.fp_view_] = morgan_fingerprints({query_id: smiles}, n_bits=int(domain.fp_bits_.shape[1]))
    return Dataset(
        obs=pd.DataFrame({"cell_line": [cell_line], "perturbation": [query_id], "dose": [dose], "time": [time]}),
        y=np.zeros((1, len(genes)), np.float32),
        target="signature",
        task="expression",
        perturbation_kind="compound",
        perturbation_views=views,
        target_names=tuple(map(str, genes)),
        name="query",
    )


def save_calibration(
    path: PathLike, *, calibrator: IntervalCalibrator, domain: DomainModel, config: UncertaintyConfig
) -> Path:
    """Write ``calibration/`` into a model directory."""
    from safetensors.numpy import save

    from cellresponse import __version__
    from cellresponse._util import jsonable
    from cellresponse.results import atomic_write_bytes

    out = Path(path) / CALIBRATION_DIR
    out.mkdir(parents=True, exist_ok=True)
    cal_meta, cal_arrays = calibrator.get_state()
    dom_meta, dom_arrays = domain.get_state()
    doc = {
        "format_version": CALIBRATION_FORMAT,
        "cellresponse_version": __version__,
        "config": jsonable(config),
        "calibrator": cal_meta,
        "domain": dom_meta,
        "report": calibrator.report(config.levels),
    }
    arrays = {f"cal.{k}": v for k, v in cal_arrays.items()} | {f"dom.{k}": v for k, v in dom_arrays.items()}
    # arrays first, then the JSON that says the folder is there: a reader never sees half of it
    atomic_write_bytes(out / CALIBRATION_ARRAYS, save({k: np.ascontiguousarray(v) for k, v in arrays.items()}))
    atomic_write_bytes(out / CALIBRATION_JSON, json.dumps(jsonable(doc), indent=2).encode())
    return out


def read_calibration(path: PathLike) -> tuple[IntervalCalibrator, DomainModel, UncertaintyConfig] | None:
    """The calibration saved in a model directory, or None if it has none.

    Raises
    ------
    ValueError
        If the calibration files are damaged or of another format version.
    """
    from safetensors.numpy import load_file

    src = Path(path) / CALIBRATION_DIR
    json_path = src / CALIBRATION_JSON
    if not json_path.is_file():
        return None
    try:
        doc = json.loads(json_path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{json_path} is not valid JSON ({err}); delete the folder or retrain") from None
    if doc.get("format_version") != CALIBRATION_FORMAT:
        raise ValueError(
            f"{json_path} has calibration format_version {doc.get('format_version')!r} (written by cellresponse "
            f"{doc.get('cellresponse_version')}); this version reads format {CALIBRATION_FORMAT}"
        )
    arrays = load_file(str(src / CALIBRATION_ARRAYS))
    cal = {k[4:]: v for k, v in arrays.items() if k.startswith("cal.")}
    dom = {k[4:]: v for k, v in arrays.items() if k.startswith("dom.")}
    cfg = dict(doc["config"])
    config = UncertaintyConfig(
        levels=tuple(cfg["levels"]),
        level=cfg["level"],
        variants=tuple(cfg["variants"]),
        min_group_size=cfg["min_group_size"],
        domain=DomainConfig(**cfg["domain"]),
    )
    return IntervalCalibrator.from_state(doc["calibrator"], cal), DomainModel.from_state(doc["domain"], dom), config


def load_calibrated(path: PathLike) -> CalibratedModel:
    """Load a saved model with its calibration (see :meth:`CalibratedModel.load`)."""
    return CalibratedModel.load(path)


def calibration_summary(model: CalibratedModel) -> dict[str, Any]:
    """What a calibrated model's intervals rest on (for ``training.json`` and the CLI)."""
    if model.calibrator is None:
        return {"intervals": False, "note": model.note}
    return {"intervals": True, **model.calibrator.report(model.config.levels)}


__all__ = [
    "CALIBRATION_DIR",
    "CalibratedModel",
    "Intervals",
    "calibration_summary",
    "load_calibrated",
    "read_calibration",
    "save_calibration",
]
