"""Expression signatures, dose-response curves and repurposing queries from a bundle.

``predict_signatures`` is the one batch path: compounds (known IDs or new SMILES) x cell
line x dose x time -> signatures over the bundle's genes. The single signature, the dose
curve and the repurposing ranking are built on it. Connectivity scoring itself lives in
:mod:`cellresponse.enrich` (``connectivity_scores``), where it is documented.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cellresponse.data import Dataset, FeatureView
from cellresponse.enrich import (
    ConnectivityQuery,
    Mode,
    connectivity_scores,
    match_genes,
    missing_genes_message,
    rank_connectivity,
)
from cellresponse.pipeline._bundle import Bundle
from cellresponse.pipeline._query import QueryError, drug_features, unknown_message

#: doses (µM) and times (h) a query may ask for; beyond them a prediction means nothing
DOSE_LIMITS = (1e-6, 1e4)
TIME_LIMITS = (1e-3, 1e3)
#: the name a single SMILES query takes inside a request
QUERY_ID = "__query__"


def _expression_bundle(bundle: Bundle) -> None:
    if bundle.task != "expression":
        raise QueryError(
            f"model: bundle {bundle.name!r} is a {bundle.task!r} model, not an expression model", field="model"
        )


def check_dose_time(bundle: Bundle, *, dose: float, time: float, field_prefix: str = "") -> list[str]:
    """Validate ``dose`` (µM) and ``time`` (h); return which lie outside the bundle's
    training range (see :func:`dose_time_flags`)."""
    seen = {k: (float(v["min"]), float(v["max"])) for k, v in bundle.ranges().items() if v}
    return dose_time_flags(dose=dose, time=time, seen=seen, field_prefix=field_prefix)


def dose_time_flags(
    *, dose: float, time: float, seen: Mapping[str, Sequence[float]], field_prefix: str = ""
) -> list[str]:
    """The one check of a queried dose (µM) and time (h).

    Each must be a finite number within :data:`DOSE_LIMITS` / :data:`TIME_LIMITS` (else a
    :class:`QueryError` naming ``field_prefix + "dose"``); the returned flags say which lie
    outside the training range ``seen`` (``{"dose": (lo, hi), "time": (lo, hi)}``), for the
    caller to refuse or to flag.
    """
    flags = []
    for name, value, (lo, hi) in (("dose", dose, DOSE_LIMITS), ("time", time, TIME_LIMITS)):
        fld = f"{field_prefix}{name}"
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise QueryError(f"{fld} must be a finite number, got {value!r}", field=fld)
        if not lo <= value <= hi:
            raise QueryError(f"{fld} must lie in [{lo:g}, {hi:g}], got {value!r}", field=fld)
        span = seen.get(name)
        if span and not span[0] * (1 - 1e-9) <= value <= span[1] * (1 + 1e-9):
            flags.append(f"{name} {value:g} outside the training range [{span[0]:g}, {span[1]:g}]")
    return flags


def known_compounds(bundle: Bundle) -> list[str]:
    """Compounds with a stored fingerprint (those a query may name by ID)."""
    ref = bundle.reference()
    if "morgan" in ref.perturbation_views:
        return list(ref.perturbation_views["morgan"].ids)
    return list(bundle.perturbations().index)


def _basal(bundle: Bundle, cell_line: str) -> FeatureView | None:
    ref = bundle.reference()
    view = ref.cell_views.get("basal")
    if view is None:
        return None
    if cell_line not in view:
        raise QueryError(
            unknown_message([cell_line], list(view.ids), what="cell line", field="cell_line"), field="cell_line"
        )
    return view


def predict_signatures(
    bundle: Bundle,
    queries: pd.DataFrame,
    *,
    smiles: Mapping[str, str] | None = None,
) -> np.ndarray:
    """Signatures for rows of ``queries`` (columns ``compound``, ``cell_line``, ``dose``, ``time``).

    Compounds are known IDs of the bundle or names given in ``smiles``.

    Returns
    -------
    numpy.ndarray
        ``(len(queries), n_genes)`` in the order of ``bundle.target_names``.
    """
    _expression_bundle(bundle)
    ref = bundle.reference()
    new = drug_features(bundle, smiles, field="smiles") if smiles else {}
    known = set(known_compounds(bundle))
    new_ids = set(next(iter(new.values())).ids) if new else set()
    compounds = queries["compound"].astype(str)
    unknown = sorted(set(compounds) - known - new_ids)
    if unknown:
        raise QueryError(unknown_message(unknown, sorted(known), what="compound", field="compound"), field="compound")
    for cell in pd.unique(queries["cell_line"].astype(str)):
        _basal(bundle, cell)
    pviews = {}
    for name, view in ref.perturbation_views.items():
        extra = new.get(name)
        if extra is not None:
            keep = ~view.ids.isin(extra.ids)
            view = FeatureView(
                name, view.ids[keep].append(extra.ids), np.vstack([view.values[keep], extra.values]),
                view.feature_names, view.kind,
            )  # fmt: skip
        pviews[name] = view
    names = bundle.target_names or []
    data = Dataset(
        obs=pd.DataFrame(
            {
                "cell_line": queries["cell_line"].astype(str).to_numpy(),
                "perturbation": compounds.to_numpy(),
                "dose": queries["dose"].to_numpy(float),
                "time": queries["time"].to_numpy(float),
            }
        ),
        y=np.zeros((len(queries), len(names)), np.float32),
        target=ref.target,
        task="expression",
        perturbation_kind=ref.perturbation_kind,
        cell_views=dict(ref.cell_views),
        perturbation_views=pviews,
        cell_meta=ref.cell_meta,
        target_names=tuple(names),
        name="signature_request",
    )
    return bundle.model().predict(data)


def _compound_arg(compound: str | None, smiles: str | None) -> tuple[str, dict[str, str] | None]:
    if (compound is None) == (smiles is None):
        raise QueryError("give either compound (a known ID) or smiles (a new structure), not both", field="compound")
    if smiles is not None:
        smiles = str(smiles).strip()
        if not smiles:
            raise QueryError("smiles is empty", field="smiles")
        return QUERY_ID, {QUERY_ID: smiles}
    return str(compound), None


def predict_expression(
    bundle: Bundle,
    *,
    cell_line: str,
    dose: float,
    time: float,
    compound: str | None = None,
    smiles: str | None = None,
) -> pd.Series:
    """The predicted signature of one compound (ID or SMILES) in ``cell_line`` at ``dose`` µM, ``time`` h.

    Returns
    -------
    pandas.Series
        One value per gene (indexed by gene symbol); ``attrs["extrapolated"]`` lists dose
        or time values outside the training range.

    Raises
    ------
    QueryError
        Unknown compound or cell line, invalid SMILES, non-finite or out-of-range dose/time.
    """
    _expression_bundle(bundle)
    flags = check_dose_time(bundle, dose=dose, time=time)
    cid, new = _compound_arg(compound, smiles)
    query = pd.DataFrame({"compound": [cid], "cell_line": [cell_line], "dose": [dose], "time": [time]})
    values = predict_signatures(bundle, query, smiles=new)[0]
    out = pd.Series(values.astype(np.float64), index=pd.Index(bundle.target_names or [], name="gene"), name="signature")
    out.attrs["extrapolated"] = flags
    return out


def default_doses(bundle: Bundle, n: int = 13) -> list[float]:
    """``n`` log-spaced doses over the bundle's training dose range (0.01-10 µM without one)."""
    seen = bundle.ranges().get("dose") or {"min": 0.01, "max": 10.0}
    return [float(d) for d in np.geomspace(seen["min"], seen["max"], n)]


def check_genes(bundle: Bundle, genes: Sequence[str], *, field: str) -> list[str]:
    """``genes`` mapped onto the bundle's gene symbols (case-insensitive); unknown ones raise."""
    universe = bundle.target_names or []
    matched, missing = match_genes([str(g).strip() for g in genes], universe)
    if missing:
        raise QueryError(missing_genes_message(missing, universe, field=field), field=field)
    return list(dict.fromkeys(matched.values()))


def expression_dose_curve(
    bundle: Bundle,
    *,
    cell_line: str,
    time: float,
    genes: Sequence[str],
    compound: str | None = None,
    smiles: str | None = None,
    doses: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Predicted values of ``genes`` across ``doses`` (µM): a dose-response curve per gene.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``dose`` (ascending), one column per gene.
    """
    _expression_bundle(bundle)
    gene_list = check_genes(bundle, genes, field="curve_genes")
    dose_list = sorted(set(default_doses(bundle) if doses is None else [float(d) for d in doses]))
    if not dose_list:
        raise QueryError("curve_doses is empty", field="curve_doses")
    for d in dose_list:
        check_dose_time(bundle, dose=d, time=time, field_prefix="curve_")
    cid, new = _compound_arg(compound, smiles)
    query = pd.DataFrame({"compound": cid, "cell_line": cell_line, "dose": dose_list, "time": time})
    values = predict_signatures(bundle, query, smiles=new)
    cols = pd.Index(bundle.target_names or []).get_indexer(gene_list)
    return pd.DataFrame(values[:, cols], index=pd.Index(dose_list, name="dose"), columns=gene_list)


@dataclass
class RepurposingResult:
    """A ranked library with the query as it was used.

    Attributes
    ----------
    table
        ``rank``, ``compound``, ``connectivity``, ``smiles``, ``in_training``.
    method, mode
        Scoring method and direction.
    genes_used, genes_dropped
        Query genes scored, and those absent from the model (dropped on request).
    extrapolated
        Dose or time outside the training range.
    """

    table: pd.DataFrame
    method: str
    mode: str
    genes_used: list[str] = field(default_factory=list)
    genes_dropped: list[str] = field(default_factory=list)
    extrapolated: list[str] = field(default_factory=list)


def _align_query(
    bundle: Bundle, query: ConnectivityQuery, *, allow_missing_genes: bool
) -> tuple[ConnectivityQuery, list[str]]:
    universe = bundle.target_names or []
    matched, missing = match_genes(query.genes(), universe)
    field = "vector" if query.is_vector else ("up" if any(g in query.up for g in missing) else "down")
    if missing and not allow_missing_genes:
        raise QueryError(
            missing_genes_message(missing, universe, field=field) + " (set allow_missing_genes to score the others)",
            field=field,
        )
    try:
        if query.vector is not None:
            vec = query.vector[[g in matched for g in query.vector.index]]
            vec.index = pd.Index([matched[g] for g in vec.index])
            vec = vec[~vec.index.duplicated()]
            return ConnectivityQuery(vector=vec, method=query.method), missing
        up = tuple(dict.fromkeys(matched[g] for g in query.up if g in matched))
        down = tuple(dict.fromkeys(matched[g] for g in query.down if g in matched))
        return ConnectivityQuery(up=up, down=down, method=query.method), missing
    except ValueError as err:
        raise QueryError(
            f"{field}: no usable genes left after dropping {len(missing)} unknown ones ({err})", field=field
        ) from None


def repurpose(
    bundle: Bundle,
    query: ConnectivityQuery,
    *,
    cell_line: str,
    dose: float,
    time: float,
    mode: Mode = "mimic",
    library: Mapping[str, str] | None = None,
    allow_missing_genes: bool = False,
) -> RepurposingResult:
    """Rank a compound library by the connectivity of its predicted signatures with ``query``.

    Each library compound's signature is predicted in ``cell_line`` at ``dose`` µM and
    ``time`` h, then scored against the query (:func:`cellresponse.enrich.connectivity_scores`
    with ``query.method``: WTCS for gene lists, Spearman for a vector by default). ``mimic``
    ranks the highest score first, ``reverse`` the lowest (compounds predicted to push the
    query genes the other way).

    Parameters
    ----------
    library
        Compound name -> SMILES to rank instead of the bundle's own compounds.
    allow_missing_genes
        Drop query genes absent from the model (reported) instead of raising.

    Raises
    ------
    QueryError
        Unknown genes (unless allowed), empty lists, invalid SMILES, bad dose/time.
    """
    _expression_bundle(bundle)
    if mode not in ("mimic", "reverse"):
        raise QueryError(f"mode must be 'mimic' or 'reverse', got {mode!r}", field="mode")
    flags = check_dose_time(bundle, dose=dose, time=time)
    aligned, dropped = _align_query(bundle, query, allow_missing_genes=allow_missing_genes)
    if library:
        names = [str(k).strip() for k in library]
        smiles_map = {str(k).strip(): str(v) for k, v in library.items()}
        in_training = [False] * len(names)
        smiles_col = [smiles_map[n] for n in names]
        predict_map: dict[str, str] | None = smiles_map
        try:
            drug_features(bundle, smiles_map, field="library")
        except QueryError as err:
            raise QueryError(str(err), field="library") from None
    else:
        names = known_compounds(bundle)
        table = bundle.perturbations()
        smiles_col = [table["smiles"].get(n, "") if "smiles" in table.columns else "" for n in names]
        in_training = [True] * len(names)
        predict_map = None
    queries = pd.DataFrame({"compound": names, "cell_line": cell_line, "dose": dose, "time": time})
    values = predict_signatures(bundle, queries, smiles=predict_map)
    sigs = pd.DataFrame(values, index=pd.Index(names), columns=bundle.target_names or [])
    try:
        scores = connectivity_scores(sigs, aligned)
    except ValueError as err:
        raise QueryError(str(err), field="method") from None
    ranked = rank_connectivity(scores, mode=mode, extra={"smiles": smiles_col, "in_training": in_training})
    ranked = ranked.rename(columns={"item": "compound"})
    return RepurposingResult(ranked, aligned.scoring, mode, aligned.genes(), dropped, flags)


__all__ = [
    "DOSE_LIMITS",
    "TIME_LIMITS",
    "RepurposingResult",
    "check_dose_time",
    "check_genes",
    "default_doses",
    "dose_time_flags",
    "expression_dose_curve",
    "known_compounds",
    "predict_expression",
    "predict_signatures",
    "repurpose",
]
