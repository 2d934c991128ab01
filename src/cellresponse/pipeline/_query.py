"""Response predictions from a bundle: known IDs, new omics rows, new SMILES.

The functions here are what ``cellresponse predict --model BUNDLE``, the Python API and
the service call; the service adds only HTTP. Bad input raises :class:`QueryError` (an
:class:`~cellresponse.errors.InputError`) whose ``field`` names the argument (the service's request field) at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from cellresponse._util import examples
from cellresponse.data import Dataset, FeatureView
from cellresponse.errors import InputError
from cellresponse.models import closest_ids
from cellresponse.pipeline._bundle import Bundle

OnUnknown = Literal["error", "nan"]
#: most features per prediction ``predict_response(top_features=...)`` returns
MAX_TOP = 50
#: largest omics table one call accepts (rows x features), a guard against memory blow-up
MAX_OMICS_CELLS = 20_000_000


class QueryError(InputError):
    """Bad input to a bundle query; ``field`` names the argument / request field at fault."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message, source=field)
        self.field = field


def suggest(value: str, known: Sequence[str], *, n: int = 3) -> list[str]:
    """Closest known IDs to ``value`` (see :func:`cellresponse.models.closest_ids`)."""
    return closest_ids(value, known, n=n)


def unknown_message(unknown: Sequence[str], known: Sequence[str], *, what: str, field: str) -> str:
    parts = []
    for u in list(unknown)[:5]:
        close = suggest(u, known)
        parts.append(f"{u!r} (closest: {', '.join(close)})" if close else repr(u))
    more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
    return f"{field}: {len(unknown)} unknown {what}(s): {'; '.join(parts)}{more}"


def _check_omics(bundle: Bundle, omics: Mapping[str, pd.DataFrame]) -> dict[str, FeatureView]:
    """New cell-line rows as views aligned to the bundle's features (all present, finite)."""
    ref = bundle.reference()
    views: dict[str, FeatureView] = {}
    for name, frame in omics.items():
        field = f"omics.{name}"
        if name not in ref.cell_views:
            raise QueryError(
                f"omics: the model reads no cell-line view {name!r}; it reads {sorted(ref.cell_views)}", field="omics"
            )
        if frame.size > MAX_OMICS_CELLS:
            raise QueryError(f"{field}: {frame.shape} values exceed the limit of {MAX_OMICS_CELLS}", field=field)
        if len(frame) == 0:
            raise QueryError(f"{field}: no rows", field=field)
        old = ref.cell_views[name]
        index = pd.Index(frame.index.astype(str).str.strip())
        if index.has_duplicates:
            raise QueryError(
                f"{field}: duplicated cell-line IDs {examples(index[index.duplicated()].unique())}", field=field
            )
        if (index == "").any() or index.isin(["nan", "None"]).any():
            raise QueryError(f"{field}: a row has no cell-line ID (first column)", field=field)
        columns = pd.Index(frame.columns.astype(str).str.strip())
        missing = old.feature_names.difference(columns)
        if len(missing):
            raise QueryError(
                f"{field}: {len(missing)} of the model's {old.n_features} features are missing "
                f"(e.g. {examples(list(missing), n=5)})",
                field=field,
            )
        frame = frame.set_axis(index, axis=0).set_axis(columns, axis=1)
        if columns.has_duplicates:
            raise QueryError(
                f"{field}: duplicated feature columns {examples(columns[columns.duplicated()].unique())}", field=field
            )
        sub = frame[old.feature_names]
        values = sub.apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise QueryError(
                f"{field}: {int(bad.sum())} missing, non-numeric or non-finite value(s), first at cell line "
                f"{sub.index[r]!r}, feature {sub.columns[c]!r}",
                field=field,
            )
        views[name] = FeatureView(name, sub.index, values.astype(np.float32), old.feature_names, old.kind)
    return views


def drug_features(bundle: Bundle, smiles: Mapping[str, str], *, field: str = "smiles") -> dict[str, FeatureView]:
    """The perturbation views the bundle's model reads, computed from new SMILES."""
    from cellresponse.chem import drug_descriptors, morgan_fingerprints

    ref = bundle.reference()
    names = list(ref.perturbation_views)
    if not names:
        raise QueryError(
            f"{field}: model {bundle.model_name!r} of bundle {bundle.name!r} reads no drug features, so it cannot "
            "predict a drug from its SMILES (it would only return the training mean); use a model with drug "
            "fingerprints (e.g. elastic_net, lightgbm)",
            field=field,
        )
    series = pd.Series({str(k).strip(): str(v).strip() for k, v in smiles.items()}, dtype=object)
    if (series.index == "").any():
        raise QueryError(f"{field}: a drug has an empty name", field=field)
    fp = bundle.fingerprint
    views: dict[str, FeatureView] = {}
    for name in names:
        try:
            if name == "morgan":
                view = morgan_fingerprints(series, radius=fp["radius"], n_bits=fp["n_bits"])
            elif name == "descriptors":
                view = drug_descriptors(series)
            else:
                raise QueryError(f"{field}: the model's drug view {name!r} cannot be computed from SMILES", field=field)
        except QueryError:
            raise
        except ValueError as err:
            raise QueryError(f"{field}: {err}", field=field) from None
        views[name] = view.subset(features=list(ref.perturbation_views[name].feature_names))
    return views


def _merge(old: FeatureView, new: FeatureView | None) -> FeatureView:
    if new is None or len(new) == 0:
        return old
    keep = ~old.ids.isin(new.ids)
    return FeatureView(
        old.name,
        old.ids[keep].append(new.ids),
        np.vstack([old.values[keep], new.values]),
        old.feature_names,
        old.kind,
    )


def known_cell_lines(bundle: Bundle) -> tuple[list[str], dict[str, str]]:
    """Known cell-line IDs and an alias map (cell-line name -> ID, where unambiguous)."""
    ids = bundle.cell_lines()
    meta = bundle.reference().cell_meta
    aliases: dict[str, str] = {}
    if "name" in meta.columns:
        names = meta["name"].reindex(ids).dropna().astype(str)
        unique = names[~names.duplicated(keep=False)]
        aliases = {n: i for i, n in unique.items() if n not in ids}
    return ids, aliases


def response_dataset(
    bundle: Bundle,
    pairs: pd.DataFrame,
    *,
    new_cells: Mapping[str, FeatureView] | None = None,
    new_drugs: Mapping[str, FeatureView] | None = None,
) -> Dataset:
    """The Dataset of ``pairs`` (columns ``cell_line``, ``drug``; IDs already resolved)."""
    ref = bundle.reference()
    cells = {n: _merge(v, (new_cells or {}).get(n)) for n, v in ref.cell_views.items()}
    drugs = {n: _merge(v, (new_drugs or {}).get(n)) for n, v in ref.perturbation_views.items()}
    return Dataset(
        obs=pd.DataFrame({"cell_line": pairs["cell_line"].to_numpy(), "perturbation": pairs["drug"].to_numpy()}),
        y=np.zeros(len(pairs), np.float32),
        target=ref.target,
        task=ref.task,
        perturbation_kind=ref.perturbation_kind,
        cell_views=cells,
        perturbation_views=drugs,
        cell_meta=ref.cell_meta,
        name="prediction_request",
    )


def _pair_columns(pairs: pd.DataFrame) -> pd.DataFrame:
    cols = {str(c).strip().lower(): c for c in pairs.columns}
    cell = cols.get("cell_line")
    drug = cols.get("drug") or cols.get("perturbation")
    if cell is None or drug is None:
        raise QueryError(f"pairs need columns 'cell_line' and 'drug'; got {list(pairs.columns)}", field="pairs")
    out = pd.DataFrame({"cell_line": pairs[cell].astype(str), "drug": pairs[drug].astype(str)})
    if len(out) == 0:
        raise QueryError("pairs: no (cell line, drug) pairs given", field="pairs")
    return out


def _explain_rows(bundle: Bundle, data: Dataset, k: int) -> list[list[dict[str, object]] | None]:
    """The ``k`` largest contributions to each prediction of ``data`` (None where the model
    predicted without features, e.g. a drug it never saw)."""
    from cellresponse.explain import native_method, top_features

    model = bundle.model()
    if native_method(model) is None:
        raise QueryError(
            f"top_features: model {bundle.name!r} ({getattr(model, 'registry_name', type(model).__name__)}) has no "
            "per-prediction attributions (linear and LightGBM models have them)",
            field="top_features",
        )
    table = top_features(model, data, k=k)
    out: list[list[dict[str, object]] | None] = [None] * len(data)
    for row, part in table.groupby("row", sort=True):
        out[int(row)] = [
            {"view": str(v), "feature": str(f), "value": float(x), "contribution": float(c)}
            for v, f, x, c in zip(part["view"], part["feature"], part["value"], part["contribution"], strict=True)
        ]
    return out


def predict_response(
    bundle: Bundle,
    pairs: pd.DataFrame,
    *,
    omics: Mapping[str, pd.DataFrame] | None = None,
    smiles: Mapping[str, str] | None = None,
    on_unknown: OnUnknown = "error",
    top_features: int = 0,
) -> pd.DataFrame:
    """Predicted response of every (cell line, drug) pair with a response bundle's model.

    Parameters
    ----------
    bundle
        A response bundle (:func:`cellresponse.pipeline.read_bundle`).
    pairs
        Columns ``cell_line`` and ``drug``. Cell lines are known IDs, known cell-line
        names (e.g. ``A375`` for its DepMap ID) or IDs of rows given in ``omics``; drugs are
        known IDs or names given in ``smiles``.
    omics
        New cell lines: view name -> frame indexed by cell-line ID with every feature the
        bundle lists for that view (extra columns are ignored). A row whose ID is known
        replaces the stored profile.
    smiles
        New drugs: name -> SMILES (the model must read drug features).
    on_unknown
        ``"error"`` (default): unknown IDs raise :class:`QueryError` naming them with the
        closest known IDs. ``"nan"``: their rows get NaN and a ``status`` column says why;
        never a fallback value.
    top_features
        With ``k > 0``, a ``top_features`` column: per prediction the ``k`` features with the
        largest contributions (``view``, ``feature``, ``value``, ``contribution``; see
        :func:`cellresponse.explain.top_features`), None for rows not predicted. Linear and
        LightGBM models only.

    Returns
    -------
    pandas.DataFrame
        ``cell_line``, ``drug`` (as given), ``prediction``; ``status`` with ``on_unknown="nan"``;
        ``top_features`` when asked.

    Raises
    ------
    QueryError
        Missing columns, unknown IDs, omics rows lacking features or holding non-finite
        values, invalid SMILES, or new drugs for a model without drug features.
    """
    if bundle.task != "response":
        raise QueryError(
            f"model: bundle {bundle.name!r} is a {bundle.task!r} model, not a response model", field="model"
        )
    if on_unknown not in ("error", "nan"):
        raise QueryError(f"on_unknown must be 'error' or 'nan', got {on_unknown!r}", field="on_unknown")
    if not isinstance(top_features, int) or isinstance(top_features, bool) or not 0 <= top_features <= MAX_TOP:
        raise QueryError(
            f"top_features must be an integer in [0, {MAX_TOP}], got {top_features!r}", field="top_features"
        )
    table = _pair_columns(pairs)
    new_cells = _check_omics(bundle, omics or {})
    cell_ids: set[str] = set()
    if new_cells:
        need = set(bundle.reference().cell_views)
        if set(new_cells) != need:
            raise QueryError(
                f"omics: new cell lines need rows in every view the model reads {sorted(need)}; "
                f"given {sorted(new_cells)}",
                field="omics",
            )
        id_sets = [set(v.ids) for v in new_cells.values()]
        cell_ids = set.intersection(*id_sets)
        lacking = set.union(*id_sets) - cell_ids
        if lacking:
            raise QueryError(f"omics: cell lines {examples(sorted(lacking))} lack rows in some views", field="omics")
    new_drugs = drug_features(bundle, smiles) if smiles else {}
    known_cells, aliases = known_cell_lines(bundle)
    cells = table["cell_line"].map(lambda c: c if c in cell_ids else aliases.get(c, c))
    known_drugs = list(bundle.perturbations().index)
    drug_ok = set(known_drugs) | set(next(iter(new_drugs.values())).ids if new_drugs else ())
    cell_ok = set(known_cells) | cell_ids
    bad_cell = ~cells.isin(cell_ok).to_numpy()
    bad_drug = ~table["drug"].isin(drug_ok).to_numpy()
    if on_unknown == "error":
        if bad_cell.any():
            unknown = list(pd.unique(table["cell_line"][bad_cell]))
            raise QueryError(
                unknown_message(unknown, [*known_cells, *aliases], what="cell line", field="cell_line"),
                field="cell_line",
            )
        if bad_drug.any():
            unknown = list(pd.unique(table["drug"][bad_drug]))
            raise QueryError(unknown_message(unknown, known_drugs, what="drug", field="drug"), field="drug")
    ok = ~(bad_cell | bad_drug)
    pred = np.full(len(table), np.nan, dtype=np.float64)
    explained: list[list[dict[str, object]] | None] = [None] * len(table)
    if ok.any():
        rows = pd.DataFrame({"cell_line": cells[ok].to_numpy(), "drug": table["drug"][ok].to_numpy()})
        data = response_dataset(bundle, rows, new_cells=new_cells, new_drugs=new_drugs)
        pred[ok] = bundle.model().predict(data)
        if top_features:
            for pos, feats in zip(np.flatnonzero(ok), _explain_rows(bundle, data, top_features), strict=True):
                explained[pos] = feats
    out = table.assign(prediction=pred)
    if top_features:
        out["top_features"] = explained
    if on_unknown == "nan":
        status = np.where(bad_cell, "unknown cell line", np.where(bad_drug, "unknown drug", "ok"))
        out["status"] = status
    return out


__all__ = [
    "OnUnknown",
    "QueryError",
    "drug_features",
    "known_cell_lines",
    "predict_response",
    "response_dataset",
    "suggest",
    "unknown_message",
]
