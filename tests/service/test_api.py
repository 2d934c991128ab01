"""The HTTP API against a live server: every endpoint, and every kind of bad input.

Each bad request gets a 4xx whose JSON names the field at fault, and the server keeps
serving (the ``client`` fixture checks /health after every test).
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from cellresponse.pipeline import predict_response

RIDGE, ENET, EXPR = "gdsc2-demo-ridge", "gdsc2-demo-enet", "a375-expr-ridge"
ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"


def test_default_bundles_are_built_once_then_reused(default_build, live_server):
    paths, lines = default_build
    assert any(line.startswith("built 3 default bundles in") for line in lines)
    assert [p.name for p in paths] == [RIDGE, ENET, EXPR]
    log = live_server[1].read_text()
    assert "no --model given; serving the embedded default bundles" in log
    assert "using the cached default bundles in" in log
    assert "on http://127.0.0.1:" in log


def test_health_and_models(client, bundles):
    health = client.get("/api/v1/health").json()
    assert health["status"] == "ok" and health["models"] == sorted([RIDGE, ENET, EXPR])
    models = {m["name"]: m for m in client.get("/api/v1/models").json()["models"]}
    ridge = models[RIDGE]
    assert ridge["task"] == "response" and ridge["model"] == "ridge_per_drug"
    assert ridge["provenance"]["dataset"] == "gdsc2_demo"
    assert ridge["provenance"]["dataset_fingerprint"] == bundles[RIDGE].info["provenance"]["dataset_fingerprint"]
    table = {row["model"]: row for row in ridge["scores"]["table"]}
    assert "ridge_per_drug" in table and any(row["baseline"] for row in table.values())
    assert models[EXPR]["n_genes"] == 978 and not models[EXPR]["has_calibration"]
    detail = client.get(f"/api/v1/models/{EXPR}").json()
    assert "vemurafenib" in {p["id"] for p in detail["perturbations"]} and detail["cell_lines"] == ["A375"]
    assert client.get("/api/v1/models/nope").status_code == 404
    assert client.get("/api/v1/models/..%2Fetc").status_code in (404, 422)


def test_response_known_ids_match_the_library(client, bundles):
    bundle = bundles[RIDGE]
    cells = bundle.cell_lines()[:3]
    drugs = list(bundle.perturbations().index[:4])
    r = client.post("/api/v1/response", json={"model": RIDGE, "cell_lines": cells, "drugs": drugs})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["n"] == 12 and body["target"] == "ln_ic50" and body["has_intervals"] is False
    got = pd.DataFrame(body["predictions"])
    pairs = pd.DataFrame({"cell_line": np.repeat(cells, 4), "drug": np.tile(drugs, 3)})
    want = predict_response(bundle, pairs)
    assert list(got["cell_line"]) == list(pairs["cell_line"]) and list(got["drug"]) == list(pairs["drug"])
    np.testing.assert_allclose(got["prediction"], want["prediction"], rtol=1e-5)


def test_response_new_cell_line_from_csv_and_new_drug_from_smiles(client, bundles):
    bundle = bundles[ENET]
    ref = bundle.reference()
    known = bundle.cell_lines()[0]
    omics = {}
    for view, v in ref.cell_views.items():
        frame = v.to_frame().loc[[known]].rename(index={known: "MY-LINE"})
        frame.index.name = "cell_line"
        omics[view] = {"csv": frame.to_csv()}
    drug = str(bundle.perturbations().index[0])
    r = client.post(
        "/api/v1/response",
        json={
            "model": ENET,
            "pairs": [
                {"cell_line": "MY-LINE", "drug": drug},
                {"cell_line": known, "drug": drug},
                {"cell_line": known, "drug": "aspirin"},
            ],
            "omics": omics,
            "smiles": {"aspirin": ASPIRIN},
        },
    )
    assert r.status_code == 200, r.text
    preds = [p["prediction"] for p in r.json()["predictions"]]
    assert preds[0] == pytest.approx(preds[1], rel=1e-4)
    assert np.isfinite(preds[2])


def test_response_upload_csv_and_h5ad(client, bundles, tmp_path):
    anndata = pytest.importorskip("anndata")
    bundle = bundles[RIDGE]
    known = bundle.cell_lines()[1]
    expr = bundle.reference().cell_views["expression"].to_frame().loc[[known]].rename(index={known: "UP-1"})
    request = json.dumps({"model": RIDGE, "cell_lines": ["UP-1", known], "drugs": ["Docetaxel"]})
    csv = expr.rename_axis("cell_line").to_csv().encode()
    r = client.post("/api/v1/response/upload", data={"request": request}, files={"expression": ("x.csv", csv)})
    assert r.status_code == 200, r.text
    a, b = (p["prediction"] for p in r.json()["predictions"])
    assert a == pytest.approx(b, rel=1e-4)
    path = tmp_path / "x.h5ad"
    anndata.AnnData(
        X=expr.to_numpy(), obs=pd.DataFrame(index=expr.index), var=pd.DataFrame(index=expr.columns)
    ).write_h5ad(path)
    r = client.post(
        "/api/v1/response/upload", data={"request": request}, files={"expression": ("x.h5ad", path.read_bytes())}
    )
    assert r.status_code == 200, r.text
    assert r.json()["predictions"][0]["prediction"] == pytest.approx(a, rel=1e-5)
    # AnnData with missing genes: a 422 naming the view and how many genes are missing
    short = expr.iloc[:, :-7]
    path2 = tmp_path / "short.h5ad"
    anndata.AnnData(
        X=short.to_numpy(), obs=pd.DataFrame(index=short.index), var=pd.DataFrame(index=short.columns)
    ).write_h5ad(path2)
    r = client.post(
        "/api/v1/response/upload", data={"request": request}, files={"expression": ("s.h5ad", path2.read_bytes())}
    )
    assert r.status_code == 422 and r.json()["field"] == "omics.expression"
    assert "7 of the model's 1000 features are missing" in r.json()["error"]
    r = client.post("/api/v1/response/upload", data={"request": request}, files={"expression": ("f.h5ad", b"not hdf5")})
    assert r.status_code == 422 and "not an HDF5 file" in r.json()["error"]
    r = client.post("/api/v1/response/upload", data={"request": "{bad json"}, files={"expression": ("x.csv", csv)})
    assert r.status_code == 400 and r.json()["field"].startswith("request")


def test_expression_signature_top_genes_and_curve(client):
    r = client.post(
        "/api/v1/expression",
        json={
            "model": EXPR,
            "compound": "vemurafenib",
            "cell_line": "A375",
            "dose": 10,
            "time": 24,
            "top_n": 10,
            "curve_genes": ["DUSP6", "myc"],
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["genes"]) == len(body["signature"]) == 978
    sig = dict(zip(body["genes"], body["signature"], strict=True))
    assert [g["gene"] for g in body["top_down"]][:1] == [min(sig, key=sig.get)]
    assert body["top_up"][0]["value"] == max(sig.values())
    # BRAF V600E A375 under a BRAF inhibitor: the MAPK targets DUSP6 and FOSL1 go down
    assert sig["DUSP6"] < -2 and sig["FOSL1"] < -2
    curve = body["curve"]
    assert set(curve["genes"]) == {"DUSP6", "MYC"} and len(curve["doses"]) == 13
    assert curve["genes"]["DUSP6"][-1] == pytest.approx(sig["DUSP6"], abs=1e-4)
    r = client.post("/api/v1/expression", json={"smiles": ASPIRIN, "cell_line": "A375", "dose": 100, "time": 24})
    assert r.status_code == 200 and r.json()["extrapolated"] == ["dose 100 outside the training range [0.04, 10]"]


def test_repurposing_mimic_and_reverse(client):
    sig = client.post(
        "/api/v1/expression", json={"compound": "trametinib", "cell_line": "A375", "dose": 10, "time": 24, "top_n": 50}
    ).json()
    up = [g["gene"] for g in sig["top_up"]]
    down = [g["gene"] for g in sig["top_down"]]
    query = {"model": EXPR, "up": up, "down": down, "cell_line": "A375", "dose": 10, "time": 24}
    mimic = client.post("/api/v1/repurposing", json=query).json()
    assert mimic["method"] == "wtcs" and mimic["n_library"] == 47 and mimic["genes_used"] == 100
    assert mimic["results"][0]["compound"] == "trametinib"
    scores = [x["connectivity"] for x in mimic["results"]]
    assert scores == sorted(scores, reverse=True)
    reverse = client.post("/api/v1/repurposing", json={**query, "mode": "reverse", "top_n": 5}).json()
    assert len(reverse["results"]) == 5 and reverse["results"][0]["connectivity"] == min(scores)
    vec = dict(zip(sig["genes"], sig["signature"], strict=True))
    r = client.post(
        "/api/v1/repurposing",
        json={
            "vector": vec,
            "cell_line": "A375",
            "dose": 10,
            "time": 24,
            "library": [{"name": "asp", "smiles": ASPIRIN}, {"name": "tram", "smiles": _smiles(client, "trametinib")}],
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["method"] == "spearman" and [x["compound"] for x in body["results"]] == ["tram", "asp"]
    assert body["results"][0]["connectivity"] == pytest.approx(1.0, abs=1e-6)
    assert not body["results"][0]["in_training"]


def _smiles(client, compound):
    detail = client.get(f"/api/v1/models/{EXPR}").json()
    return next(p["smiles"] for p in detail["perturbations"] if p["id"] == compound)


def _post(client, path, payload):
    return client.post(path, json=payload)


BAD_JSON = [
    # (path, payload, status, field, text in the message)
    (
        "/api/v1/response",
        {"model": RIDGE, "cell_lines": ["ACH-999999"], "drugs": ["Docetaxel"]},
        422,
        "cell_line",
        "unknown cell line",
    ),
    (
        "/api/v1/response",
        {"model": RIDGE, "cell_lines": ["ACH-000004"], "drugs": ["docetaxel"]},
        422,
        "drug",
        "closest: Docetaxel",
    ),
    (
        "/api/v1/response",
        {"model": "../../etc/passwd", "cell_lines": ["x"], "drugs": ["y"]},
        422,
        "model",
        "String should match pattern",
    ),
    (
        "/api/v1/response",
        {"model": "no-such-model", "cell_lines": ["x"], "drugs": ["y"]},
        422,
        "model",
        "unknown model",
    ),
    ("/api/v1/response", {"model": EXPR, "cell_lines": ["x"], "drugs": ["y"]}, 422, "model", "not a response model"),
    (
        "/api/v1/response",
        {"model": RIDGE, "cell_lines": ["ACH-000004"], "drugs": ["new"], "smiles": {"new": ASPIRIN}},
        422,
        "smiles",
        "reads no drug features",
    ),
    (
        "/api/v1/response",
        {"model": ENET, "cell_lines": ["ACH-000004"], "drugs": ["bad"], "smiles": {"bad": "C1CC(("}},
        422,
        "smiles",
        "invalid SMILES",
    ),
    ("/api/v1/response", {"model": RIDGE, "pairs": []}, 422, "pairs", "no (cell line, drug) pairs"),
    ("/api/v1/response", {"model": RIDGE}, 422, "pairs", "give pairs"),
    (
        "/api/v1/response",
        {"model": RIDGE, "cell_lines": ["a"] * 200, "drugs": ["b"] * 101},
        422,
        "pairs",
        "exceed the limit of 20000",
    ),
    (
        "/api/v1/response",
        {
            "model": RIDGE,
            "cell_lines": ["N1"],
            "drugs": ["Docetaxel"],
            "omics": {"expression": {"csv": "cell_line,GENE_X\nN1,1.0\n"}},
        },
        422,
        "omics.expression",
        "features are missing",
    ),
    (
        "/api/v1/response",
        {
            "model": RIDGE,
            "cell_lines": ["N1"],
            "drugs": ["Docetaxel"],
            "omics": {"methylation": {"csv": "cell_line,A\nN1,1\n"}},
        },
        422,
        "omics",
        "reads no cell-line view",
    ),
    ("/api/v1/response", {"model": RIDGE, "pairs": [{"cell_line": "a"}]}, 422, "pairs[0].drug", "Field required"),
    (
        "/api/v1/response",
        {"model": RIDGE, "pairs": [{"cell_line": "a", "drug": "b"}], "extra": 1},
        422,
        "extra",
        "Extra inputs",
    ),
    (
        "/api/v1/expression",
        {"compound": "vemurafenib", "cell_line": "A549", "dose": 1, "time": 24},
        422,
        "cell_line",
        "unknown cell line",
    ),
    (
        "/api/v1/expression",
        {"compound": "nope", "cell_line": "A375", "dose": 1, "time": 24},
        422,
        "compound",
        "unknown compound",
    ),
    (
        "/api/v1/expression",
        {"smiles": "not a smiles", "cell_line": "A375", "dose": 1, "time": 24},
        422,
        "smiles",
        "invalid SMILES",
    ),
    (
        "/api/v1/expression",
        {"compound": "vemurafenib", "smiles": ASPIRIN, "cell_line": "A375", "dose": 1, "time": 24},
        422,
        "compound",
        "not both",
    ),
    (
        "/api/v1/expression",
        {"compound": "vemurafenib", "cell_line": "A375", "dose": -1, "time": 24},
        422,
        "dose",
        "greater than 0",
    ),
    (
        "/api/v1/expression",
        {"compound": "vemurafenib", "cell_line": "A375", "dose": 1e300, "time": 24},
        422,
        "dose",
        "less than or equal",
    ),
    (
        "/api/v1/expression",
        {"compound": "vemurafenib", "cell_line": "A375", "dose": 1, "time": 24, "curve_genes": ["NOTAGENE"]},
        422,
        "curve_genes",
        "NOTAGENE",
    ),
    (
        "/api/v1/repurposing",
        {"up": [], "down": [], "cell_line": "A375", "dose": 1, "time": 24},
        422,
        "up",
        "both lists are empty",
    ),
    (
        "/api/v1/repurposing",
        {"up": ["DUSP6", "NOTAGENE1"], "cell_line": "A375", "dose": 1, "time": 24},
        422,
        "up",
        "NOTAGENE1",
    ),
    (
        "/api/v1/repurposing",
        {"up": ["DUSP6"], "down": ["DUSP6"], "cell_line": "A375", "dose": 1, "time": 24},
        422,
        "up",
        "in both lists",
    ),
    (
        "/api/v1/repurposing",
        {"up": ["DUSP6"], "method": "spearman", "cell_line": "A375", "dose": 1, "time": 24},
        422,
        "method",
        "does not take gene lists",
    ),
    (
        "/api/v1/repurposing",
        {"vector": {"DUSP6": 1.0}, "cell_line": "A375", "dose": 1, "time": 24},
        422,
        "vector",
        "at least 3 genes",
    ),
    (
        "/api/v1/repurposing",
        {"up": ["DUSP6"], "cell_line": "A375", "dose": 1, "time": 24, "library": [{"name": "x", "smiles": "C1CC(("}]},
        422,
        "library",
        "invalid SMILES",
    ),
]


@pytest.mark.parametrize(("path", "payload", "status", "field", "text"), BAD_JSON)
def test_bad_requests_get_a_4xx_naming_the_field(client, path, payload, status, field, text):
    r = _post(client, path, payload)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["field"] == field, body
    assert text in body["error"], body


def test_missing_genes_can_be_dropped_and_are_reported(client):
    r = client.post(
        "/api/v1/repurposing",
        json={
            "up": ["DUSP6", "FOSL1", "NOTAGENE"],
            "cell_line": "A375",
            "dose": 1,
            "time": 24,
            "allow_missing_genes": True,
        },
    )
    assert r.status_code == 200 and r.json()["genes_dropped"] == ["NOTAGENE"] and r.json()["genes_used"] == 2


def test_unknown_ids_as_nan_with_a_status(client):
    r = client.post(
        "/api/v1/response",
        json={
            "model": RIDGE,
            "pairs": [{"cell_line": "ACH-000004", "drug": "Docetaxel"}, {"cell_line": "ACH-000004", "drug": "nope"}],
            "on_unknown": "nan",
        },
    )
    rows = r.json()["predictions"]
    assert rows[0]["status"] == "ok" and np.isfinite(rows[0]["prediction"])
    assert rows[1]["status"] == "unknown drug" and rows[1]["prediction"] is None


@pytest.mark.parametrize(
    ("body", "headers", "status", "text"),
    [
        (b'{"model": "x", "pairs": [', {"content-type": "application/json"}, 400, "malformed JSON"),
        (b"cell_line=a", {"content-type": "application/x-www-form-urlencoded"}, 415, "must be application/json"),
        (b'{"pairs": []}', {"content-type": "text/plain"}, 415, "must be application/json"),
        (b'{"pairs": []}', {}, 415, "got 'none'"),
        (
            b'{"compound": "vemurafenib", "cell_line": "A375", "dose": NaN, "time": 24}',
            {"content-type": "application/json"},
            422,
            "dose: Input should be a finite number",
        ),
        (
            b'{"compound": "vemurafenib", "cell_line": "A375", "dose": Infinity, "time": 24}',
            {"content-type": "application/json"},
            422,
            "finite number",
        ),
        (b"[1, 2]", {"content-type": "application/json"}, 422, "body"),
        (b"\xff\xfe", {"content-type": "application/json"}, 400, "malformed JSON"),
    ],
)
def test_malformed_bodies_and_content_types(client, body, headers, status, text):
    path = "/api/v1/expression" if b"compound" in body else "/api/v1/response"
    r = client.post(path, content=body, headers=headers)
    assert r.status_code == status, r.text
    assert text in r.json()["error"]


def test_oversized_body_is_refused(client):
    huge = b'{"pairs": [' + b'{"cell_line": "a", "drug": "b"},' * 1_200_000 + b"]}"
    assert len(huge) > 32 * 1024 * 1024
    r = client.post("/api/v1/response", content=huge, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "exceed the limit" in r.json()["error"]


def test_no_cors_and_security_headers(client):
    r = client.options(
        "/api/v1/response", headers={"Origin": "http://elsewhere.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in {k.lower() for k in r.headers}
    page = client.get("/", headers={"Origin": "http://elsewhere.example"})
    assert page.status_code == 200 and "access-control-allow-origin" not in page.headers
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"


def test_page_and_docs_need_nothing_from_outside(client):
    page = client.get("/").text
    assert "http://" not in page and "https://" not in page
    for asset in ("/static/app.js", "/static/app.css"):
        text = client.get(asset).text
        assert "https://" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    docs = client.get("/docs").text
    assert "cdn" not in docs.lower() and "/static-offline-docs/swagger-ui-bundle.js" in docs
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {
        "/api/v1/response",
        "/api/v1/expression",
        "/api/v1/repurposing",
        "/api/v1/models",
        "/api/v1/health",
        "/api/v1/response/upload",
    } <= set(spec["paths"])


def test_ten_thousand_pairs_in_one_request(client, bundles):
    bundle = bundles[RIDGE]
    rng = np.random.default_rng(0)
    cells = rng.choice(bundle.cell_lines(), 10_000)
    drugs = rng.choice(list(bundle.perturbations().index), 10_000)
    pairs = [{"cell_line": c, "drug": d} for c, d in zip(cells, drugs, strict=True)]
    r = client.post("/api/v1/response", json={"model": RIDGE, "pairs": pairs})
    assert r.status_code == 200 and r.json()["n"] == 10_000
    got = np.array([p["prediction"] for p in r.json()["predictions"]])
    want = predict_response(bundle, pd.DataFrame({"cell_line": cells, "drug": drugs}))["prediction"]
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_csv_text_with_bad_values_names_the_cell(client, bundles):
    feats = list(bundles[RIDGE].reference().cell_views["expression"].feature_names)
    frame = pd.DataFrame([np.zeros(len(feats))], index=["N1"], columns=feats)
    frame.iloc[0, 3] = np.nan
    buf = io.StringIO()
    frame.rename_axis("cell_line").to_csv(buf)
    r = client.post(
        "/api/v1/response",
        json={
            "model": RIDGE,
            "cell_lines": ["N1"],
            "drugs": ["Docetaxel"],
            "omics": {"expression": {"csv": buf.getvalue()}},
        },
    )
    assert r.status_code == 422 and f"feature {feats[3]!r}" in r.json()["error"] and "'N1'" in r.json()["error"]


def test_over_the_time_limit_is_a_503_and_the_loop_stays_free(bundles):
    """CPU work runs in the thread pool: a request over the limit gets 503 while /health answers."""
    import anyio
    import httpx

    from cellresponse.service import ServedModel, ServiceSettings, create_app

    models = {EXPR: ServedModel(EXPR, bundles[EXPR])}
    app = create_app(models, settings=ServiceSettings(timeout_s=0.05))
    payload = {
        "up": ["DUSP6"],
        "cell_line": "A375",
        "dose": 1,
        "time": 24,
        "library": [{"name": f"c{i}", "smiles": "C" * (1 + i % 40) + "O"} for i in range(3000)],
    }

    async def main() -> tuple[int, str, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            slow = await c.post("/api/v1/repurposing", json=payload)
            health = await c.get("/api/v1/health")
            return slow.status_code, slow.json()["error"], health.status_code

    status, error, health = anyio.run(main)
    assert status == 503 and "longer than the limit of 0.05 s" in error
    assert health == 200
