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
from dataclasses import dataclass, field
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
    if any, else the most similar ones (:func:`difflib.get_close_matches`).

    Examples
    --------
    >>> closest_ids("camptothecin", ["Camptothecin", "Cisplatin"])
    ['Camptothecin']
    """
    by_norm: dict[str, list[str]] = {}
    for k in known:
        by_norm.setdefault(normalize_id(k), []).append(str(k))
    target = normalize_id(value)
    if target in by_norm:  # the same ID but for case, spaces or punctuation
        return by_norm[target][:n]
    out: list[str] = []
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
) -> tuple[np.ndarray, set[str], set[str]]:
    """Mask of known IDs, the IDs the model could know (for suggestions), and the
    training IDs (an ID trained on but without features now lacks features, not a name)."""
    trained_set = set(map(str, trained))
    if names:  # the model reads features of this entity: they must be there
        candidates = set().union(*(set(map(str, views[n].ids)) for n in names if n in views)) if views else set()
        return _has_features(ids, views, names), candidates | trained_set, trained_set
    return np.isin(ids, np.asarray(sorted(trained_set), dtype=object)), trained_set, trained_set


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
    trained: dict[str, set[str]] = field(default_factory=dict)
    reads_features: dict[str, bool] = field(default_factory=dict)

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
            missing = list(dict.fromkeys(map(str, np.asarray(ids)[~ok])))
            label = entity.replace("_", " ")
            trained = self.trained.get(entity, set())
            featureless = [v for v in missing if v in trained and self.reads_features.get(entity)]
            if featureless:
                parts.append(
                    f"{len(featureless)} {label}(s) without the features the model reads "
                    f"({_shown(featureless)}; give a --dataset or their features)"
                )
            unknown = [v for v in missing if v not in featureless]
            if not unknown:
                continue
            known = self.known.get(entity, set())
            shown = []
            for value in unknown[:8]:
                close = closest_ids(value, known)
                if close:
                    shown.append(f"{value!r} (closest known: {', '.join(map(repr, close))})")
                else:
                    shown.append(f"{value!r} (no close match; known e.g. {', '.join(map(repr, sorted(known)[:3]))})")
            more = f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""
            parts.append(f"{len(unknown)} unknown {label}(s): {'; '.join(shown)}{more}")
        return f"{source}: " + "; ".join(parts)


def domain_check(model: Any, data: Dataset) -> DomainCheck:
    """Which observations of ``data`` the fitted ``model`` can predict (see the module
    docstring). A model without a recorded training domain knows what it has features for."""
    domain = getattr(model, "domain_", None) or {}
    cell_views, pert_views = model.required_views()
    cells = np.asarray(data.cell_lines, dtype=object)
    perts = np.asarray(data.perturbations, dtype=object)
    cell_ok, cell_known, cell_trained = _known(
        cells, domain.get("cell_lines", cells), dict(data.cell_views), cell_views
    )
    pert_ok, pert_known, pert_trained = _known(
        perts, domain.get("perturbations", perts), dict(data.perturbation_views), pert_views
    )
    kind = data.perturbation_kind
    return DomainCheck(
        cell_ok,
        pert_ok,
        {"cell_line": cell_known, kind: pert_known},
        kind,
        trained={"cell_line": cell_trained, kind: pert_trained},
        reads_features={"cell_line": bool(cell_views), kind: bool(pert_views)},
    )


def _shown(values: Sequence[str], n: int = 5) -> str:
    return ", ".join(map(repr, values[:n])) + (f" and {len(values) - n} more" if len(values) > n else "")


__all__ = ["OK", "DomainCheck", "closest_ids", "domain_check", "normalize_id"]
