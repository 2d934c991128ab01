"""Drug identity across screens: one resolver for GDSC, CCLE, CTRP, PDXE and LINCS names.

A drug's *key* is its normalised name (lower-case alphanumerics) after the curated
aliases (``aliases.csv``: company codes, former names, salt forms). Two drugs of
different screens are the same drug when their keys are equal, or, failing that, when
both have a structure and their *structure keys* are equal (the InChIKey connectivity
block of the largest fragment, computed by :func:`cellresponse.chem.structure_keys`).
Every input name ends up matched (by ``name``, ``alias`` or ``structure``), unmatched
or excluded as a collision, in a :class:`HarmonizationReport` like the cell-line one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from cellresponse.data._aliases import alias_map, normalize_drug_name
from cellresponse.data._ids import HarmonizationReport

logger = logging.getLogger("cellresponse")
MATCH_COLUMNS = ["a", "b", "key", "matched_by"]


@dataclass
class DrugMatch:
    """Drugs two screens share.

    Attributes
    ----------
    pairs
        One row per shared drug: ``a`` (ID in the first screen), ``b`` (ID in the
        second), ``key`` (the shared key), ``matched_by`` (``name``, ``alias`` or
        ``structure``).
    report
        What happened to every drug of the first screen (``unmatched``: no counterpart;
        ``collisions``: excluded because a key or structure names several drugs of one
        screen); ``extra`` holds the second screen's unmatched drugs and name matches
        whose structures disagree.
    """

    pairs: pd.DataFrame
    report: HarmonizationReport

    @property
    def a_to_b(self) -> dict[str, str]:
        return dict(zip(self.pairs["a"], self.pairs["b"], strict=True))


class DrugResolver:
    """Map drug names of any screen to shared keys (see the module docstring).

    Parameters
    ----------
    aliases
        ``{name: canonical name}``; names and canonical names are compared after
        :func:`normalize_drug_name`. ``None``: the packaged curated aliases.

    Examples
    --------
    >>> r = DrugResolver()
    >>> r.key("BYL719") == r.key("Alpelisib"), r.key("PLX-4720")
    (True, 'plx4720')
    """

    def __init__(self, aliases: Mapping[str, str] | None = None) -> None:
        raw = alias_map("drug") if aliases is None else dict(aliases)
        self.aliases = {normalize_drug_name(k): normalize_drug_name(v) for k, v in raw.items()}

    def key(self, name: object) -> str:
        """The shared key of one drug name."""
        norm = normalize_drug_name(name)
        return self.aliases.get(norm, norm)

    def resolve(
        self, names: Iterable[object], *, reference: Iterable[str] | None = None, source: str = ""
    ) -> tuple[pd.Series, HarmonizationReport]:
        """Keys of one screen's drug names.

        Parameters
        ----------
        names
            Drug names (duplicates collapsed).
        reference
            Keys known elsewhere (other screens); names whose key is not among them are
            listed as ``unmatched`` (they are kept: an unmatched drug is only a drug no
            other screen has). ``None``: no unmatched report.
        source
            Label for the report.

        Returns
        -------
        keys, report
            Series name -> key; names that share a key with another name of the same
            screen are excluded (``collisions``, kind ``many_to_one``), never merged.
        """
        unique = list(dict.fromkeys(str(n).strip() for n in names))
        report = HarmonizationReport(source=source, n_input=len(unique))
        by_key: dict[str, list[str]] = defaultdict(list)
        how: dict[str, str] = {}
        for name in unique:
            norm = normalize_drug_name(name)
            if not norm:
                report.unmatched.append(name)
                continue
            key = self.aliases.get(norm, norm)
            how[name] = "alias" if norm in self.aliases and key != norm else "name"
            by_key[key].append(name)
        keys: dict[str, str] = {}
        for key, members in by_key.items():
            if len(members) > 1:
                report.collisions.append({"kind": "many_to_one", "key": key, "ids": sorted(members)})
                continue
            keys[members[0]] = key
        counts: dict[str, int] = defaultdict(int)
        for name in keys:
            counts[how[name]] += 1
        report.matched_by = dict(counts)
        if reference is not None:
            known = set(reference)
            report.unmatched += [n for n, k in keys.items() if k not in known]
        if report.collisions:
            logger.warning(
                "%s: %d drug-name group(s) share a key and are excluded from cross-screen matching: %s",
                source or "drugs",
                len(report.collisions),
                "; ".join(f"{c['key']}: {c['ids']}" for c in report.collisions[:5]),
            )
        out = pd.Series(keys, dtype=object, name="drug_key")
        out.index.name = "name"
        return out, report

    def match(self, a: pd.DataFrame, b: pd.DataFrame, *, source: str = "") -> DrugMatch:
        """The drugs two screens share.

        Parameters
        ----------
        a, b
            One row per drug, indexed by the screen's drug ID, with an optional ``name``
            column (default: the ID) and an optional ``structure_key`` column (missing or
            empty where the drug has no structure).
        source
            Label for the report (e.g. ``"gdsc2 -> ctrp_v2"``).

        Returns
        -------
        DrugMatch
            Shared drugs, matched by key first, then by structure among the rest.
        """
        ka, ra = self.resolve(_names(a), source=source)
        kb, rb = self.resolve(_names(b), source=source)
        id_a = _id_by_name(a)
        id_b = _id_by_name(b)
        b_by_key = {k: n for n, k in kb.items()}
        rows: list[dict[str, str]] = []
        matched_a: set[str] = set()
        for name, key in ka.items():
            if key in b_by_key:
                b_name = b_by_key[key]
                # "name": the two spellings normalise alike; "alias": the curated table joined them
                same = normalize_drug_name(name) == normalize_drug_name(b_name)
                rows.append({"a": id_a[name], "b": id_b[b_name], "key": key, "matched_by": "name" if same else "alias"})
                matched_a.add(id_a[name])
        report = HarmonizationReport(source=source, n_input=len(a))
        report.collisions = [{**c, "side": "a"} for c in ra.collisions] + [{**c, "side": "b"} for c in rb.collisions]
        excluded_a = {id_a[n] for c in ra.collisions for n in c["ids"]}
        excluded_b = {id_b[n] for c in rb.collisions for n in c["ids"]}
        matched_b = {r["b"] for r in rows}
        sa, sb = _structures(a), _structures(b)
        rest_a = {i: s for i, s in sa.items() if i not in matched_a and i not in excluded_a}
        rest_b = {i: s for i, s in sb.items() if i not in matched_b and i not in excluded_b}
        by_struct_a, by_struct_b = _group(rest_a), _group(rest_b)
        for skey, ids_a in by_struct_a.items():
            ids_b = by_struct_b.get(skey)
            if not ids_b:
                continue
            if len(ids_a) > 1 or len(ids_b) > 1:
                report.collisions.append({"kind": "structure", "key": skey, "ids": sorted(ids_a + ids_b)})
                continue
            key = str(ka.get(_name_of(a, ids_a[0]), skey))
            rows.append({"a": ids_a[0], "b": ids_b[0], "key": key, "matched_by": "structure"})
        pairs = pd.DataFrame(rows, columns=MATCH_COLUMNS)
        counts = pairs["matched_by"].value_counts()
        report.matched_by = {str(k): int(v) for k, v in counts.items()}
        report.unmatched = [str(i) for i in a.index if str(i) not in set(pairs["a"])]
        conflicts = [
            {"a": r["a"], "b": r["b"], "a_structure": sa[r["a"]], "b_structure": sb[r["b"]]}
            for r in rows
            if r["matched_by"] != "structure" and r["a"] in sa and r["b"] in sb and sa[r["a"]] != sb[r["b"]]
        ]
        report.extra = {
            "n_b": len(b),
            "b_unmatched": [str(i) for i in b.index if str(i) not in set(pairs["b"])],
            "structure_conflicts": conflicts,
        }
        return DrugMatch(pairs, report)


def _names(frame: pd.DataFrame) -> list[str]:
    if "name" in frame.columns:
        return [str(n) if pd.notna(n) else str(i) for i, n in zip(frame.index, frame["name"], strict=True)]
    return [str(i) for i in frame.index]


def _id_by_name(frame: pd.DataFrame) -> dict[str, str]:
    return dict(zip([n.strip() for n in _names(frame)], map(str, frame.index), strict=True))


def _name_of(frame: pd.DataFrame, drug_id: str) -> str:
    return _names(frame.loc[[drug_id]])[0].strip()


def _structures(frame: pd.DataFrame) -> dict[str, str]:
    if "structure_key" not in frame.columns:
        return {}
    col = frame["structure_key"]
    return {str(i): str(s) for i, s in zip(frame.index, col, strict=True) if isinstance(s, str) and s}


def _group(structures: Mapping[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for drug, skey in structures.items():
        out[skey].append(drug)
    return out


__all__ = ["MATCH_COLUMNS", "DrugMatch", "DrugResolver"]
