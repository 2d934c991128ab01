"""Which observations a fitted model can predict, and the closest known IDs of the others.

A model knows a perturbation (a drug, compound or gene) when it was trained on it, or
when it reads perturbation features and the data gives that perturbation's features (a
new drug with a fingerprint); a cell line likewise. Anything else would get a fallback
value (a training mean) that is no prediction at all, so :func:`domain_status` marks
those rows and :func:`unknown_ids_message` says which IDs are unknown and which known
IDs are closest (case-, space- and punctuation-insensitive, then by similarity).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cellresponse.data import Dataset

OK = "ok"
_NORM = re.compile(r"[\s\-_.,;:/\\()\[\]]+")


def normalize_id(value: str) -> str:
    """``value`` without case, spaces and punctuation (``" Camptothecin "`` -> ``"camptothecin"``).

    Examples
    --------
    >>> normalize_id(" 5-Fluorouracil ")
    '5fluorouracil'
    """
    return _NORM.sub("", str(value)).casefold()


def closest_ids(value: str, known: Iterable[str], *, n: int = 3) -> list[str]:
    """Up to ``n`` known IDs closest to ``value``: those equal after :func:`normalize_id`
    first, then the most similar ones (:func:`difflib.get_close_matches`).

    Examples
    --------
    >>> closest_ids("camptothecin", ["Camptothecin", "Cisplatin"])
    ['Camptothecin']
    """
    by_norm: dict[str, list[str]] = {}
    for k in known:
        by_norm.setdefault(normalize_id(k), []).append(str(k))
    target = normalize_id(value)
    out = list(by_norm.get(target, []))
    if len(out) < n:
        for match in difflib.get_close_matches(target, list(by_norm), n=n, cutoff=0.6):
            out += [k for k in by_norm[match] if k not in out]
    return out[:n]


def _has_features(ids: np.ndarray, views: dict[str, Any], names: Sequence[str]) -> np.ndarray:
    ok = np.ones(len(ids), dtype=bool)
    for name in names:
        view = views.get(name)
        if view is None:
            return np.zeros(len(ids), dtype=bool)
        ok &= np.isin(ids, np.asarray(view.ids, dtype=object))
    return ok


def _known(
    ids: np.ndarray, trained: Iterable[str], views: dict[str, Any], names: Sequence[str]
) -> tuple[np.ndarray, set[str]]:
    """Mask of known IDs and the set of IDs the model could know (for suggestions)."""
    if names:  # the model reads features of this entity: they must be there
        candidates = set().union(*(set(map(str, views[n].ids)) for n in names if n in views)) if views else set()
        return _has_features(ids, views, names), candidates
    trained_set = set(map(str, trained))
    return np.isin(ids, np.asarray(sorted(trained_set), dtype=object)), trained_set


@dataclass
class DomainCheck:
    """Which observations a model can predict.

    Attributes
    ----------
    cell_ok, perturbation_ok
        Per observation: the model knows its cell line / its perturbation.
    known
        Entity (``"cell_line"`` or the perturbation kind) -> the IDs the model knows.
    kind
        The perturbation kind of the data.
    """

    cell_ok: np.ndarray
    perturbation_ok: np.ndarray
    known: dict[str, set[str]]
    kind: str

    @property
    def ok(self) -> np.ndarray:
        return self.cell_ok & self.perturbation_ok

    def status(self) -> pd.Series:
        """``"ok"``, ``"unknown_cell_line"``, ``"unknown_<kind>"`` or both, per observation."""
        status = np.full(len(self.cell_ok), OK, dtype=object)
        status[~self.cell_ok] = "unknown_cell_line"
        status[~self.perturbation_ok] = f"unknown_{self.kind}"
        status[~self.cell_ok & ~self.perturbation_ok] = f"unknown_cell_line_and_{self.kind}"
        return pd.Series(status, name="status")

    def message(self, data: Dataset, *, source: str) -> str:
        """One sentence listing the unknown IDs of each entity with the closest known IDs."""
        parts = []
        for entity, ids, ok in (
            ("cell_line", data.cell_lines, self.cell_ok),
            (self.kind, data.perturbations, self.perturbation_ok),
        ):
            unknown = list(dict.fromkeys(map(str, np.asarray(ids)[~ok])))
            if not unknown:
                continue
            shown = []
            for value in unknown[:8]:
                close = closest_ids(value, self.known.get(entity, set()))
                shown.append(f"{value!r} (closest known: {', '.join(map(repr, close))})" if close else repr(value))
            more = f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""
            parts.append(f"{len(unknown)} unknown {entity.replace('_', ' ')}(s): {'; '.join(shown)}{more}")
        return f"{source}: " + "; ".join(parts)


def domain_check(model: Any, data: Dataset) -> DomainCheck:
    """Which observations of ``data`` the fitted ``model`` can predict (see the module
    docstring). A model without a recorded training domain knows what it has features for."""
    domain = getattr(model, "domain_", None) or {}
    cell_views, pert_views = model.required_views()
    cells = np.asarray(data.cell_lines, dtype=object)
    perts = np.asarray(data.perturbations, dtype=object)
    cell_ok, cell_known = _known(cells, domain.get("cell_lines", cells), dict(data.cell_views), cell_views)
    pert_ok, pert_known = _known(perts, domain.get("perturbations", perts), dict(data.perturbation_views), pert_views)
    kind = data.perturbation_kind
    return DomainCheck(cell_ok, pert_ok, {"cell_line": cell_known, kind: pert_known}, kind)


__all__ = ["OK", "DomainCheck", "closest_ids", "domain_check", "normalize_id"]
