"""The web page in a real headless Chromium (Debian's package, driven by Playwright).

Each form is filled and submitted as a person would; the tests read the rendered table,
the SVG plots and the downloaded CSV, and the messages shown for bad input. Every request
the page makes must go to the server itself (the page works offline).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
# A busy 2-core machine can take seconds per answer: wait up to 30 s for rendered text.
expect.set_options(timeout=30_000)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with playwright_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh user-data-dir
            executable_path=CHROMIUM,
            args=FLAGS,
            headless=True,
            accept_downloads=True,
            viewport={"width": 1200, "height": 1000},
        )
        yield context
        context.close()


@pytest.fixture
def page(browser, base_url):
    page = browser.new_page()
    page.set_default_timeout(30_000)
    outside: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((base_url, "data:", "blob:")) else outside.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base_url + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    yield page
    page.close()
    assert outside == [], f"the page requested outside resources: {outside}"
    assert errors == [], f"script errors: {errors}"


def _table(page, selector: str) -> pd.DataFrame:
    heads = page.locator(f"{selector} thead th").all_inner_texts()
    rows = [[c.strip() for c in r.split("\t")] for r in page.locator(f"{selector} tbody tr").all_inner_texts()]
    return pd.DataFrame(rows, columns=[h.replace("▲", "").replace("▼", "").strip() for h in heads])


def _download(page, button: str) -> pd.DataFrame:
    with page.expect_download() as info:
        page.click(button)
    return pd.read_csv(info.value.path())


def test_response_form_table_plot_sort_and_csv(page, bundles):
    bundle = bundles["gdsc2-demo-ridge"]
    cells = bundle.cell_lines()[:2]
    page.fill("#resp-cells", "\n".join(cells))
    page.click("#resp-submit")
    page.wait_for_selector("#resp-result:not([hidden])")
    n_drugs = len(bundle.perturbations())
    table = _table(page, "#resp-table")
    assert len(table) == 2 * n_drugs and list(table.columns) == ["cell_line", "drug", "prediction"]
    assert page.locator("#resp-plot svg circle").count() == n_drugs
    page.click("#resp-table th[data-col=prediction]")
    assert page.get_attribute("#resp-table th[data-col=prediction]", "aria-sort") == "ascending"
    values = _table(page, "#resp-table")["prediction"].astype(float).to_numpy()
    assert (np.diff(values) >= 0).all()
    page.click("#resp-table th[data-col=prediction]")
    values = _table(page, "#resp-table")["prediction"].astype(float).to_numpy()
    assert (np.diff(values) <= 0).all()
    csv = _download(page, "#resp-download")
    assert list(csv.columns) == ["cell_line", "drug", "prediction"] and len(csv) == 2 * n_drugs
    from cellresponse.pipeline import predict_response

    want = predict_response(bundle, csv[["cell_line", "drug"]])
    np.testing.assert_allclose(csv["prediction"], want["prediction"], rtol=1e-5)


def test_response_form_new_cell_line_pasted_and_uploaded(page, bundles, tmp_path):
    anndata = pytest.importorskip("anndata")
    bundle = bundles["gdsc2-demo-ridge"]
    known = bundle.cell_lines()[3]
    expr = bundle.reference().cell_views["expression"].to_frame().loc[[known]].rename(index={known: "PASTED-1"})
    page.fill("#resp-cells", f"PASTED-1, {known}")
    page.fill("#resp-drugs", "Docetaxel")
    page.fill("#resp-omics", expr.rename_axis("cell_line").to_csv())
    page.click("#resp-submit")
    page.wait_for_selector("#resp-result:not([hidden])")
    pasted, original = _table(page, "#resp-table")["prediction"].astype(float)
    assert pasted == pytest.approx(original, rel=1e-3)
    path = tmp_path / "new_line.h5ad"
    up = expr.rename(index={"PASTED-1": "H5AD-1"})
    anndata.AnnData(X=up.to_numpy(), obs=pd.DataFrame(index=up.index), var=pd.DataFrame(index=up.columns)).write_h5ad(
        path
    )
    page.fill("#resp-omics", "")
    page.set_input_files("#resp-omics-file", str(path))
    page.fill("#resp-cells", "H5AD-1")
    page.click("#resp-submit")
    page.wait_for_selector("#resp-result:not([hidden])")
    expect(page.locator("#resp-table tbody td").first).to_have_text("H5AD-1")
    assert float(_table(page, "#resp-table")["prediction"].iloc[0]) == pytest.approx(original, rel=1e-3)


def test_response_form_bad_input_messages(page):
    page.fill("#resp-cells", "")
    page.click("#resp-submit")
    assert "Cell lines: give at least one" in page.inner_text("#resp-error")
    page.fill("#resp-cells", "ACH-00000X")
    page.fill("#resp-drugs", "Docetaxel")
    page.click("#resp-submit")
    page.wait_for_selector("#resp-error:not([hidden])")
    message = page.inner_text("#resp-error")
    assert "unknown cell line" in message and "closest:" in message and "HTTP 422" in message
    assert page.is_hidden("#resp-result")
    page.fill("#resp-cells", "ACH-000004")
    page.fill("#resp-smiles", "newdrug,C1CC((")
    page.select_option("#resp-model", "gdsc2-demo-enet")
    page.fill("#resp-drugs", "newdrug")
    page.click("#resp-submit")
    expect(page.locator("#resp-error")).to_contain_text("invalid SMILES")
    page.fill("#resp-smiles", "no comma here")
    page.click("#resp-submit")
    expect(page.locator("#resp-error")).to_contain_text('New drugs, line 1: expected "name,value"')


def test_expression_form_bars_curves_and_csv(page):
    page.click("#tab-expression")
    page.select_option("#expr-compound", "trametinib")
    page.fill("#expr-dose", "3.33")
    page.fill("#expr-top", "12")
    page.fill("#expr-curve-genes", "DUSP6, FOSL1, MYC")
    page.click("#expr-submit")
    page.wait_for_selector("#expr-result:not([hidden])")
    assert "trametinib in A375, 3.33 µM, 24 h" in page.inner_text("#expr-note")
    assert page.locator("#expr-bars rect").count() == 24
    assert page.locator("#expr-bars rect.bar-down").count() == 12
    series = page.locator("#expr-curve polyline").evaluate_all("els => els.map(e => e.dataset.series)")
    assert series == ["DUSP6", "FOSL1", "MYC"]
    csv = _download(page, "#expr-download")
    assert list(csv.columns) == ["gene", "value"] and len(csv) == 978
    shown = _table(page, "#expr-table")
    assert len(shown) == 978
    np.testing.assert_allclose(shown["value"].astype(float), csv["value"], rtol=1e-3, atol=1e-3)


def test_expression_form_bad_input_messages(page):
    page.click("#tab-expression")
    page.fill("#expr-dose", "ten")
    page.click("#expr-submit")
    assert 'Dose (µM): enter a finite number, got "ten"' in page.inner_text("#expr-error")
    page.fill("#expr-dose", "-1")
    page.click("#expr-submit")
    expect(page.locator("#expr-error")).to_contain_text("dose")
    assert "greater than 0" in page.inner_text("#expr-error")
    page.fill("#expr-dose", "1")
    page.fill("#expr-smiles", "C1CC((")
    page.click("#expr-submit")
    expect(page.locator("#expr-error")).to_contain_text("invalid SMILES")
    page.fill("#expr-smiles", "")
    page.fill("#expr-curve-genes", "NOTAGENE")
    page.click("#expr-submit")
    expect(page.locator("#expr-error")).to_contain_text("NOTAGENE")


def test_repurposing_form_ranked_table_and_csv(page):
    page.click("#tab-repurposing")
    page.fill("#rep-up", "DUSP6\nFOSL1\nDUSP4")
    page.fill("#rep-down", "JUN")
    page.select_option("#rep-mode", "reverse")
    page.click("#rep-submit")
    page.wait_for_selector("#rep-result:not([hidden])")
    table = _table(page, "#rep-table")
    assert len(table) == 47 and table["rank"].astype(int).tolist() == list(range(1, 48))
    scores = table["connectivity"].astype(float).to_numpy()
    assert (np.diff(scores) >= 0).all()  # reverse: most negative first
    assert page.locator("#rep-plot rect").count() == 20
    assert "reverse" in page.inner_text("#rep-note") and "Weighted connectivity score" in page.inner_text("#rep-note")
    csv = _download(page, "#rep-download")
    assert list(csv.columns) == ["rank", "compound", "connectivity", "in_training", "smiles"]
    assert csv["compound"].tolist() == table["compound"].tolist()


def test_repurposing_form_bad_input_messages(page):
    page.click("#tab-repurposing")
    page.click("#rep-submit")
    assert "both lists are empty" in page.inner_text("#rep-error")
    page.fill("#rep-up", "DUSP6\nNOT_A_GENE")
    page.click("#rep-submit")
    expect(page.locator("#rep-error")).to_contain_text("NOT_A_GENE")
    page.check("#rep-allow")
    page.click("#rep-submit")
    page.wait_for_selector("#rep-result:not([hidden])")
    assert "dropped: NOT_A_GENE" in page.inner_text("#rep-note")


def test_models_tab_shows_scores_beside_baselines(page):
    page.click("#tab-models")
    cards = page.locator(".model-card")
    assert cards.count() == 3
    text = page.inner_text("#models-list")
    assert "best naive baseline" in text and "ridge_per_drug" in text and "tissue_drug_mean" in text
