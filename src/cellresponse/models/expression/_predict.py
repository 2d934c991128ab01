"""``predict_signature``: one signature for a SMILES in a cell line at a dose and time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellresponse.data import Dataset, FeatureView
from cellresponse.errors import InputError, UnknownIdError
from cellresponse.models._domain import closest_ids
from cellresponse.models.base import ResponseModel

QUERY_ID = "__query__"


def predict_signature(
    model: ResponseModel,
    *,
    smiles: str,
    cell_line: str,
    dose: float,
    time: float,
    basal: FeatureView | pd.DataFrame | None = None,
    radius: int = 2,
) -> pd.Series:
    """Predict the expression signature of ``smiles`` in ``cell_line`` at ``dose`` µM, ``time`` h.

    Parameters
    ----------
    model
        A fitted expression model (e.g. loaded with :func:`cellresponse.models.load_model`).
    smiles
        The compound; featurized as a Morgan fingerprint with the model's bit count.
    cell_line
        Cell-line ID; its basal profile comes from ``basal`` or, if None, from the
        profiles the model kept from training (``model.basal_``).
    dose, time
        Dose in µM (> 0) and time in hours.
    basal
        Basal profiles (cell lines x genes) to use instead of the model's own.
    radius
        Morgan radius (the bit count is taken from the model).

    Returns
    -------
    pandas.Series
        One value per gene, indexed by gene name.

    Raises
    ------
    ValueError
        For an invalid SMILES, a non-positive dose or time, or an unfitted model.
    KeyError
        If the cell line has no basal profile.
    """
    from sklearn.utils.validation import check_is_fitted

    from cellresponse.chem import morgan_fingerprints

    check_is_fitted(model, "n_train_")
    if not (np.isfinite(dose) and dose > 0 and np.isfinite(time) and time > 0):
        raise InputError(f"dose and time must be finite and > 0, got dose={dose!r}, time={time!r}", source="--dose")
    view = basal if basal is not None else getattr(model, "basal_", None)
    if isinstance(view, pd.DataFrame):
        view = FeatureView.from_frame(view, name="basal")
    cell_views = {}
    if view is not None:
        if cell_line not in view:
            close = closest_ids(cell_line, map(str, view.ids))
            hint = f" (closest known: {', '.join(map(repr, close))})" if close else ""
            raise UnknownIdError(
                f"cell line {cell_line!r} has no basal profile{hint}; the model knows {len(view.ids)} cell lines",
                source="--cell-line",
                key=cell_line,
            )
        cell_views["basal"] = view.subset(ids=[cell_line])
    elif "basal" in model.required_views()[0]:
        raise KeyError(f"{type(model).__name__} needs a basal profile for {cell_line!r}; pass basal=")
    n_bits = int(getattr(model, "n_bits_", 0) or 0)
    if not n_bits and hasattr(model, "fp_"):
        n_bits = int(np.asarray(model.fp_).shape[1])
    if not n_bits and hasattr(model, "coef_") and "morgan" in model.required_views()[1]:
        n_bits = int(model.coef_.shape[0] - model.pca_components_.shape[0] - 2)
    try:
        fp = morgan_fingerprints({QUERY_ID: smiles}, radius=radius, n_bits=n_bits or 2048)
    except ValueError as err:
        raise InputError(f"invalid SMILES {smiles!r}: {err}", source="--compound-smiles") from None
    names = tuple(getattr(model, "target_names_", ()))
    n_genes = len(names) if names else len(model.train_mean_)
    data = Dataset(
        obs=pd.DataFrame({"cell_line": [cell_line], "perturbation": [QUERY_ID], "dose": [dose], "time": [time]}),
        y=np.zeros((1, n_genes), np.float32),
        target="signature",
        task="expression",
        perturbation_kind="compound",
        cell_views=cell_views,
        perturbation_views={"morgan": fp},
        target_names=names or tuple(f"g{i}" for i in range(n_genes)),
        name="query",
    )
    pred = model.predict(data)[0]
    return pd.Series(
        pred.astype(np.float64),
        index=pd.Index(data.target_names or (), name="gene"),
        name="signature",
    )


__all__ = ["predict_signature"]
