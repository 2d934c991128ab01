"""The service's endpoints: response, expression, repurposing, models, health.

Each route validates its request (pydantic), resolves the served model by name, and calls
the library function behind it (:mod:`cellresponse.pipeline`) in the thread pool; the
HTTP layer adds nothing to the computation.
"""

from __future__ import annotations

import math
import time
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from pydantic import ValidationError

from cellresponse import __version__
from cellresponse.enrich import ConnectivityQuery
from cellresponse.pipeline import (
    QueryError,
    expression_dose_curve,
    predict_expression,
    predict_response,
    repurpose,
)
from cellresponse.service._errors import ServiceError, validation_message
from cellresponse.service._parse import omics_frames, read_upload
from cellresponse.service._schemas import (
    MAX_EXPLAINED_PAIRS,
    ErrorBody,
    ExpressionRequest,
    ExpressionResult,
    Health,
    ModelDetail,
    ModelList,
    RepurposingRequest,
    RepurposingResult,
    ResponseRequest,
    ResponseResult,
)
from cellresponse.service._state import ServedModel

METHOD_TEXT = {
    "wtcs": (
        "Weighted connectivity score of the Connectivity Map (Subramanian et al. 2017): a weighted "
        "Kolmogorov-Smirnov enrichment score of the up genes and of the down genes in each predicted "
        "signature sorted from most up to most down; WTCS = (ES_up - ES_down) / 2 when they differ in sign, "
        "else 0 (one list: its ES, the down list's negated). Range -1..1, not normalized."
    ),
    "spearman": "Spearman correlation of the query vector with each predicted signature over shared genes (-1..1).",
    "pearson": "Pearson correlation of the query vector with each predicted signature over shared genes (-1..1).",
}
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (400, "malformed JSON or form data"),
        (413, "body too large"),
        (415, "not application/json"),
        (422, "an invalid field (named in the message)"),
        (503, "over the per-request time limit"),
    )
}
UPLOAD_VIEWS = ("expression", "mutation", "cnv")


def _served(request: Request) -> dict[str, ServedModel]:
    return request.app.state.models


def pick_model(request: Request, name: str | None, task: str) -> ServedModel:
    """The served model ``name`` (or the only one of ``task``)."""
    models = _served(request)
    if name is None:
        of_task = [m for m in models.values() if m.task == task]
        if len(of_task) == 1:
            return of_task[0]
        if not of_task:
            raise ServiceError(422, f"model: no {task} model is served; served: {sorted(models)}", field="model")
        raise ServiceError(
            422, f"model: {len(of_task)} {task} models are served; name one of {sorted(m.name for m in of_task)}",
            field="model",
        )  # fmt: skip
    if name not in models:
        raise ServiceError(422, f"model: unknown model {name!r}; served: {sorted(models)}", field="model")
    model = models[name]
    if model.task != task:
        raise ServiceError(422, f"model: {name!r} is a {model.task} model, not a {task} model", field="model")
    return model


def _num(value: Any) -> float | None:
    v = float(value)
    return v if math.isfinite(v) else None


def _rows(cells: list[str], drugs: list[str], cols: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    pred = cols["prediction"]
    extra = {k: v for k, v in cols.items() if k not in ("prediction", "cell_line", "drug")}
    novelty = [k for k in extra if k.startswith("novelty")]
    explained = extra.get("top_features")
    plain = [k for k in extra if k in ("status", "lower", "upper", "level", "flag")]
    out = []
    for i, (c, d) in enumerate(zip(cells, drugs, strict=True)):
        row: dict[str, Any] = {"cell_line": c, "drug": d, "prediction": _num(pred[i])}
        for k in plain:
            value = extra[k][i]
            row[k] = value if isinstance(value, str) else _num(value)
        if novelty:
            row["novelty"] = {k.removeprefix("novelty_"): _num(extra[k][i]) for k in novelty}
        if explained is not None:
            row["top_features"] = explained[i]
        out.append(row)
    return out


def _pairs(body: ResponseRequest, limit: int) -> tuple[list[str], list[str]]:
    if body.pairs is not None and (body.cell_lines is not None or body.drugs is not None):
        raise ServiceError(422, "pairs: give pairs, or cell_lines with drugs, not both", field="pairs")
    if body.pairs is not None:
        cells, drugs = [p.cell_line for p in body.pairs], [p.drug for p in body.pairs]
    elif body.cell_lines is not None and body.drugs is not None:
        n = len(body.cell_lines) * len(body.drugs)
        if n > limit:
            raise ServiceError(
                422, f"cell_lines x drugs: {n} pairs exceed the limit of {limit} per request", field="pairs"
            )
        cells = [c for c in body.cell_lines for _ in body.drugs]
        drugs = list(body.drugs) * len(body.cell_lines)
    else:
        raise ServiceError(422, "pairs: give pairs, or both cell_lines and drugs", field="pairs")
    if not cells:
        raise ServiceError(422, "pairs: no (cell line, drug) pairs given", field="pairs")
    if len(cells) > limit:
        raise ServiceError(422, f"pairs: {len(cells)} pairs exceed the limit of {limit} per request", field="pairs")
    if body.top_features and len(cells) > MAX_EXPLAINED_PAIRS:
        raise ServiceError(
            422,
            f"top_features: asked for {len(cells)} pairs; at most {MAX_EXPLAINED_PAIRS} per request are explained",
            field="top_features",
        )
    return cells, drugs


def _predict(model: ServedModel, body: ResponseRequest, cells: list[str], drugs: list[str], omics: dict) -> dict:
    """Known IDs: the precomputed table; anything new: the library function."""
    cols = None if (omics or body.smiles or body.top_features) else model.lookup(cells, drugs)
    if cols is None:
        with model.lock:
            frame = predict_response(
                model.bundle,
                pd.DataFrame({"cell_line": cells, "drug": drugs}),
                omics=omics or None,
                smiles=body.smiles,
                on_unknown=body.on_unknown,
                top_features=body.top_features,
            )
        cols = {str(c): frame[c].to_numpy() for c in frame.columns if c not in ("cell_line", "drug")}
    return {
        "model": model.name,
        "target": str(model.bundle.info["target"]),
        "n": len(cells),
        "has_intervals": "lower" in cols and "upper" in cols,
        "predictions": _rows(cells, drugs, cols),
    }


def _parse_and_predict(model: ServedModel, body: ResponseRequest, cells: list[str], drugs: list[str]) -> dict:
    return _predict(model, body, cells, drugs, omics_frames(body.omics))


def _signature(model: ServedModel, body: ExpressionRequest) -> dict[str, Any]:
    with model.lock:
        return _signature_unlocked(model, body)


def _signature_unlocked(model: ServedModel, body: ExpressionRequest) -> dict[str, Any]:
    sig = predict_expression(
        model.bundle,
        cell_line=body.cell_line,
        dose=body.dose,
        time=body.time,
        compound=body.compound,
        smiles=body.smiles,
    )
    order = np.argsort(sig.to_numpy(), kind="stable")
    top = min(body.top_n, len(sig))
    curve = None
    if body.curve_genes:
        table = expression_dose_curve(
            model.bundle, cell_line=body.cell_line, time=body.time, genes=body.curve_genes,
            compound=body.compound, smiles=body.smiles, doses=body.curve_doses,
        )  # fmt: skip
        curve = {"doses": [float(d) for d in table.index], "genes": {g: table[g].astype(float).tolist() for g in table}}
    genes = list(sig.index)
    values = sig.to_numpy(float)
    return {
        "model": model.name,
        "compound": body.compound,
        "smiles": body.smiles,
        "cell_line": body.cell_line,
        "dose": body.dose,
        "time": body.time,
        "genes": genes,
        "signature": values.tolist(),
        "top_up": [{"gene": genes[i], "value": float(values[i])} for i in order[::-1][:top]],
        "top_down": [{"gene": genes[i], "value": float(values[i])} for i in order[:top]],
        "curve": curve,
        "extrapolated": list(sig.attrs.get("extrapolated", [])),
    }


def _repurpose(model: ServedModel, body: RepurposingRequest) -> dict[str, Any]:
    try:
        if body.vector is not None:
            if body.up or body.down:
                raise QueryError("vector: give up/down gene lists or a vector, not both", field="vector")
            query = ConnectivityQuery(vector=pd.Series(body.vector, dtype=float), method=body.method)
        else:
            query = ConnectivityQuery(up=tuple(body.up or ()), down=tuple(body.down or ()), method=body.method)
    except QueryError:
        raise
    except ValueError as err:
        raise QueryError(str(err), field="vector" if body.vector is not None else "up") from None
    library = {e.name: e.smiles for e in body.library} if body.library else None
    if library is not None and len(library) != len(body.library or []):
        raise QueryError("library: duplicated compound names", field="library")
    with model.lock:
        result = repurpose(
            model.bundle,
            query,
            cell_line=body.cell_line,
            dose=body.dose,
            time=body.time,
            mode=body.mode,
            library=library,
            allow_missing_genes=body.allow_missing_genes,
        )
    table = result.table if body.top_n is None else result.table.head(body.top_n)
    return {
        "model": model.name,
        "mode": result.mode,
        "method": result.method,
        "method_description": METHOD_TEXT[result.method],
        "cell_line": body.cell_line,
        "dose": body.dose,
        "time": body.time,
        "n_library": len(result.table),
        "genes_used": len(result.genes_used),
        "genes_dropped": result.genes_dropped,
        "extrapolated": result.extrapolated,
        "results": [
            {
                "rank": int(r.rank),
                "compound": str(r.compound),
                "connectivity": float(r.connectivity),
                "smiles": str(r.smiles or ""),
                "in_training": bool(r.in_training),
            }
            for r in table.itertuples(index=False)
        ],
    }


def _detail(model: ServedModel) -> dict[str, Any]:
    bundle = model.bundle
    ref = bundle.reference()
    cells = bundle.cell_lines()
    names = ref.cell_meta["name"].reindex(cells).dropna().astype(str).to_dict() if "name" in ref.cell_meta else {}
    perts = bundle.perturbations()
    smiles = perts["smiles"] if "smiles" in perts.columns else pd.Series("", index=perts.index)
    return {
        **bundle.summary(),
        "name": model.name,
        "cell_lines": cells,
        "cell_line_names": names,
        "perturbations": [{"id": str(i), "smiles": str(s or "")} for i, s in smiles.items()],
        "genes": bundle.target_names,
        "omics_features": {n: list(v.feature_names) for n, v in ref.cell_views.items()}
        if bundle.task == "response"
        else {},
    }


def build_router() -> APIRouter:
    router = APIRouter(responses=ERRORS)

    @router.post("/response", response_model=ResponseResult, summary="Predict drug response")
    async def response(body: ResponseRequest, request: Request) -> dict[str, Any]:
        """Predicted response (e.g. ln IC50) of (cell line, drug) pairs: known IDs, new omics rows
        (``omics``: CSV text or JSON rows per view) and new drugs (``smiles``)."""
        model = pick_model(request, body.model, "response")
        cells, drugs = _pairs(body, request.app.state.settings.max_pairs)
        return await request.app.state.run(_parse_and_predict, model, body, cells, drugs)

    @router.post("/response/upload", response_model=ResponseResult, summary="Predict response for uploaded omics")
    async def response_upload(
        request: Request,
        request_json: Annotated[str, Form(alias="request", max_length=10_000_000)],
        expression: Annotated[UploadFile | None, File()] = None,
        mutation: Annotated[UploadFile | None, File()] = None,
        cnv: Annotated[UploadFile | None, File()] = None,
    ) -> dict[str, Any]:
        """Multipart form: ``request`` (the JSON of /response) and omics files per view (``expression``,
        ``mutation``, ``cnv``): CSV/TSV (first column cell-line ID) or AnnData ``.h5ad`` (obs = cell lines)."""
        try:
            body = ResponseRequest.model_validate_json(request_json)
        except ValidationError as err:
            status, message, field = validation_message(list(err.errors()))
            raise ServiceError(status, f"request.{message}", field=f"request.{field}") from None
        model = pick_model(request, body.model, "response")
        cells, drugs = _pairs(body, request.app.state.settings.max_pairs)
        files = {v: f for v, f in zip(UPLOAD_VIEWS, (expression, mutation, cnv), strict=True) if f is not None}
        clash = sorted(set(files) & set(body.omics or {}))
        if clash:
            raise ServiceError(422, f"omics: views {clash} are given both as files and in request.omics", field="omics")
        uploads = {v: (await f.read(), f.filename) for v, f in files.items()}

        def work() -> dict[str, Any]:
            omics = omics_frames(body.omics)
            for view, (raw, filename) in uploads.items():
                omics[view] = read_upload(raw, filename=filename, field=view)
            return _predict(model, body, cells, drugs, omics)

        return await request.app.state.run(work)

    @router.post("/expression", response_model=ExpressionResult, summary="Predict an expression signature")
    async def expression(body: ExpressionRequest, request: Request) -> dict[str, Any]:
        """The 978-gene signature of a compound (ID or SMILES) in a cell line at a dose (µM) and time (h),
        its top up and down genes, and a predicted dose-response curve for ``curve_genes``."""
        model = pick_model(request, body.model, "expression")
        return await request.app.state.run(_signature, model, body)

    @router.post("/repurposing", response_model=RepurposingResult, summary="Rank compounds by connectivity")
    async def repurposing(body: RepurposingRequest, request: Request) -> dict[str, Any]:
        """Rank the model's compounds (or an uploaded ``library``) by the connectivity of their predicted
        signatures with a query (up/down genes: WTCS; a vector: Spearman/Pearson), to mimic or reverse it."""
        model = pick_model(request, body.model, "expression")
        limit = request.app.state.settings.max_library
        if body.library is not None and len(body.library) > limit:
            raise ServiceError(
                422, f"library: {len(body.library)} compounds exceed the limit of {limit}", field="library"
            )
        return await request.app.state.run(_repurpose, model, body)

    @router.get("/models", response_model=ModelList, summary="Served models")
    async def models(request: Request) -> dict[str, Any]:
        """Every served model with its task, scores beside the naive baselines, and provenance."""
        return {"models": [{**m.bundle.summary(), "name": m.name} for m in _served(request).values()]}

    @router.get("/models/{name}", response_model=ModelDetail, summary="One served model")
    async def model_detail(
        request: Request, name: Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
    ) -> dict[str, Any]:
        """A served model with its known cell lines, perturbations, genes and omics features."""
        models = _served(request)
        if name not in models:
            raise ServiceError(404, f"name: unknown model {name!r}; served: {sorted(models)}", field="name")
        return await request.app.state.run(_detail, models[name])

    @router.get("/health", response_model=Health, summary="Health")
    async def health(request: Request) -> dict[str, Any]:
        state = request.app.state
        return {
            "status": "ok",
            "version": __version__,
            "models": sorted(state.models),
            "uptime_s": round(time.time() - state.started, 3),
            "limits": state.settings.limits(),
        }

    return router


__all__ = ["METHOD_TEXT", "build_router", "pick_model"]
