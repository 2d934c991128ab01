// cellresponse page: plain JavaScript, no external resources (works offline).
"use strict";

const API = "/api/v1";
const state = { models: [], details: {}, results: {} };
const $ = (id) => document.getElementById(id);
const SVGNS = "http://www.w3.org/2000/svg";

// ------------------------------------------------------------------ helpers
function splitList(text) {
  return text.split(/[\n,;\t]+/).map((s) => s.trim()).filter((s) => s.length > 0);
}

function parsePairsText(text, what) {
  // "name,VALUE" per line -> [[name, value], ...]
  const out = [];
  text.split("\n").map((l) => l.trim()).filter((l) => l).forEach((line, i) => {
    const at = line.indexOf(",");
    if (at < 1) throw new Error(`${what}, line ${i + 1}: expected "name,value", got "${line}"`);
    out.push([line.slice(0, at).trim(), line.slice(at + 1).trim()]);
  });
  return out;
}

function number(id, label) {
  const raw = $(id).value.trim();
  const v = Number(raw);
  if (raw === "" || !Number.isFinite(v)) throw new Error(`${label}: enter a finite number, got "${raw}"`);
  return v;
}

function showError(prefix, message) {
  const box = $(`${prefix}-error`);
  box.textContent = message;
  box.hidden = false;
}

function clearError(prefix) {
  $(`${prefix}-error`).hidden = true;
  $(`${prefix}-error`).textContent = "";
}

async function api(path, options) {
  let res;
  try {
    res = await fetch(API + path, options);
  } catch (err) {
    throw new Error(`the server did not answer (${err.message})`);
  }
  let body = null;
  try { body = await res.json(); } catch (_) { body = null; }
  if (!res.ok) {
    const msg = body && body.error ? body.error : `HTTP ${res.status}`;
    throw new Error(`${msg} (HTTP ${res.status})`);
  }
  return body;
}

function postJSON(path, payload) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) });
}

function fmt(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  return String(v);
}

function csvCell(v) {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function download(filename, columns, rows) {
  const lines = [columns.map(csvCell).join(",")];
  rows.forEach((r) => lines.push(columns.map((c) => csvCell(r[c])).join(",")));
  const blob = new Blob([lines.join("\n") + "\n"], { type: "text/csv" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

// A sortable table: click a header to sort by it (again to reverse).
function renderTable(table, columns, rows) {
  table.replaceChildren();
  const thead = table.createTHead();
  const head = thead.insertRow();
  const tbody = table.createTBody();
  let sortCol = null;
  let asc = true;
  const fill = () => {
    tbody.replaceChildren();
    rows.forEach((r) => {
      const tr = tbody.insertRow();
      columns.forEach((c) => {
        const td = tr.insertCell();
        td.textContent = fmt(r[c]);
        if (typeof r[c] === "number") td.className = "num";
      });
    });
  };
  columns.forEach((c) => {
    const th = document.createElement("th");
    th.textContent = c;
    th.dataset.col = c;
    th.addEventListener("click", () => {
      asc = sortCol === c ? !asc : true;
      sortCol = c;
      rows.sort((a, b) => {
        const x = a[c], y = b[c];
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        const cmp = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
        return asc ? cmp : -cmp;
      });
      head.querySelectorAll("th").forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      fill();
    });
    head.appendChild(th);
  });
  fill();
}

// ------------------------------------------------------------------ SVG plots
function svgEl(tag, attrs, text) {
  const el = document.createElementNS(SVGNS, tag);
  Object.entries(attrs || {}).forEach(([k, v]) => el.setAttribute(k, v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function scale(d0, d1, r0, r1) {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

// Horizontal bars (label, value), coloured by sign.
function barChart(container, items, title) {
  const rowH = 16, left = 150, width = 640, top = 24;
  const height = top + items.length * rowH + 28;
  const svg = svgEl("svg", { width, height, role: "img" });
  svg.appendChild(svgEl("text", { x: 4, y: 14 }, title));
  const vmax = Math.max(1e-9, ...items.map((d) => Math.abs(d.value)));
  const x = scale(-vmax, vmax, left, width - 20);
  svg.appendChild(svgEl("line", { x1: x(0), x2: x(0), y1: top, y2: height - 24, class: "axis" }));
  items.forEach((d, i) => {
    const y = top + i * rowH;
    const x0 = Math.min(x(0), x(d.value));
    svg.appendChild(svgEl("rect", { x: x0, y: y + 2, width: Math.abs(x(d.value) - x(0)), height: rowH - 4,
      class: d.value >= 0 ? "bar-up" : "bar-down", "data-label": d.label }));
    svg.appendChild(svgEl("text", { x: left - 6, y: y + rowH - 4, "text-anchor": "end" }, d.label));
  });
  svg.appendChild(svgEl("text", { x: x(-vmax), y: height - 8 }, fmt(-vmax)));
  svg.appendChild(svgEl("text", { x: x(vmax), y: height - 8, "text-anchor": "end" }, fmt(vmax)));
  container.replaceChildren(svg);
}

// Lines over x (log scale when logX), one per series {name, x[], y[]}.
function lineChart(container, series, { logX, xLabel, yLabel }) {
  const width = 640, height = 300, m = { l: 56, r: 120, t: 16, b: 40 };
  const tx = (v) => (logX ? Math.log10(v) : v);
  const xs = series.flatMap((s) => s.x.map(tx)), ys = series.flatMap((s) => s.y);
  const x = scale(Math.min(...xs), Math.max(...xs), m.l, width - m.r);
  const ymin = Math.min(...ys), ymax = Math.max(...ys), pad = (ymax - ymin) * 0.08 || 1;
  const y = scale(ymin - pad, ymax + pad, height - m.b, m.t);
  const svg = svgEl("svg", { width, height, role: "img" });
  svg.appendChild(svgEl("line", { x1: m.l, x2: width - m.r, y1: height - m.b, y2: height - m.b, class: "axis" }));
  svg.appendChild(svgEl("line", { x1: m.l, x2: m.l, y1: m.t, y2: height - m.b, class: "axis" }));
  series.forEach((s, k) => {
    const pts = s.x.map((v, i) => `${x(tx(v)).toFixed(1)},${y(s.y[i]).toFixed(1)}`).join(" ");
    svg.appendChild(svgEl("polyline", { points: pts, class: `series series-${k % 6}`, "data-series": s.name }));
    svg.appendChild(svgEl("text", { x: width - m.r + 6, y: m.t + 16 * (k + 1), class: `legend series-${k % 6}` }, s.name));
  });
  [Math.min(...xs), Math.max(...xs)].forEach((v, i) => {
    svg.appendChild(svgEl("text", { x: x(v), y: height - m.b + 14, "text-anchor": i ? "end" : "start" }, fmt(logX ? 10 ** v : v)));
  });
  svg.appendChild(svgEl("text", { x: (m.l + width - m.r) / 2, y: height - 6, "text-anchor": "middle" }, xLabel));
  svg.appendChild(svgEl("text", { x: 4, y: m.t + 4 }, fmt(ymax)));
  svg.appendChild(svgEl("text", { x: 4, y: height - m.b }, fmt(ymin)));
  svg.appendChild(svgEl("text", { x: 4, y: (height - m.b + m.t) / 2 }, yLabel));
  container.replaceChildren(svg);
}

// Predicted value per drug (sorted), with interval whiskers when the model has them.
function dotPlot(container, rows, title) {
  const rowH = 16, left = 170, width = 640, top = 24;
  const pts = rows.filter((r) => r.prediction !== null).sort((a, b) => a.prediction - b.prediction);
  const height = top + pts.length * rowH + 28;
  const svg = svgEl("svg", { width, height, role: "img" });
  svg.appendChild(svgEl("text", { x: 4, y: 14 }, title));
  const vals = pts.flatMap((r) => [r.prediction, r.lower, r.upper].filter((v) => v !== null && v !== undefined));
  const x = scale(Math.min(...vals), Math.max(...vals), left, width - 20);
  pts.forEach((r, i) => {
    const yy = top + i * rowH + rowH / 2;
    if (r.lower !== null && r.lower !== undefined && r.upper !== null && r.upper !== undefined) {
      svg.appendChild(svgEl("line", { x1: x(r.lower), x2: x(r.upper), y1: yy, y2: yy, class: "whisker" }));
    }
    svg.appendChild(svgEl("circle", { cx: x(r.prediction), cy: yy, r: 4, class: "dot", "data-label": r.drug }));
    svg.appendChild(svgEl("text", { x: left - 6, y: yy + 4, "text-anchor": "end" }, r.drug));
  });
  if (vals.length) {
    svg.appendChild(svgEl("text", { x: left, y: height - 8 }, fmt(Math.min(...vals))));
    svg.appendChild(svgEl("text", { x: width - 20, y: height - 8, "text-anchor": "end" }, fmt(Math.max(...vals))));
  }
  container.replaceChildren(svg);
}

// ------------------------------------------------------------------ models
function fillSelect(select, values, labels) {
  select.replaceChildren();
  values.forEach((v) => {
    const o = document.createElement("option");
    o.value = v;
    o.textContent = labels && labels[v] ? `${v} (${labels[v]})` : v;
    select.appendChild(o);
  });
}

async function detail(name) {
  if (!state.details[name]) state.details[name] = await api(`/models/${encodeURIComponent(name)}`);
  return state.details[name];
}

function modelsOf(task) { return state.models.filter((m) => m.task === task).map((m) => m.name); }

async function onResponseModel() {
  const d = await detail($("resp-model").value);
  fillSelect($("resp-view"), Object.keys(d.omics_features));
  const note = d.features.perturbation_views && Object.keys(d.features.perturbation_views).length
    ? "reads drug fingerprints: new drugs by SMILES are accepted" : "per-drug model: known drugs only";
  $("resp-model-note").textContent = `${d.model} on ${d.provenance.dataset} (${d.target}); ${d.cell_lines.length} cell lines, ${d.perturbations.length} drugs; ${note}`;
  if (!$("resp-cells").value.trim()) $("resp-cells").value = d.cell_lines.slice(0, 2).join("\n");
}

async function onExpressionModel(prefix) {
  const d = await detail($(`${prefix}-model`).value);
  if (prefix === "expr") fillSelect($("expr-compound"), ["", ...d.perturbations.map((p) => p.id)]);
  fillSelect($(`${prefix}-cell`), d.cell_lines);
  if (prefix === "expr") $("expr-compound").value = d.perturbations.some((p) => p.id === "vemurafenib") ? "vemurafenib" : d.perturbations[0].id;
}

function renderModels() {
  const list = $("models-list");
  list.replaceChildren();
  state.models.forEach((m) => {
    const card = document.createElement("div");
    card.className = "model-card";
    const h = document.createElement("h2");
    h.textContent = `${m.name}: ${m.task} (${m.model})`;
    card.appendChild(h);
    const p = document.createElement("p");
    p.className = "muted";
    const prov = m.provenance;
    p.textContent = `${m.description} Trained on ${prov.dataset} (fingerprint ${prov.dataset_fingerprint}, ${prov.n_train} observations), cellresponse ${prov.cellresponse_version}, ${prov.created}.`;
    card.appendChild(p);
    if (m.scores) {
      const s = m.scores, primary = s.primary_metric;
      const note = document.createElement("p");
      note.textContent = `${s.method}. Primary metric ${primary}; best naive baseline ${s.best_baseline}.`;
      card.appendChild(note);
      const t = document.createElement("table");
      t.className = "sortable";
      const cols = ["model", "baseline", primary, `${primary} (fold sd)`].filter((c, i, a) => a.indexOf(c) === i);
      renderTable(t, cols, s.table.map((r) => ({ ...r, baseline: r.baseline ? "yes" : "" })));
      card.appendChild(t);
    } else {
      const note = document.createElement("p");
      note.textContent = m.scores_note || "no cross-validated scores";
      card.appendChild(note);
    }
    list.appendChild(card);
  });
}

// ------------------------------------------------------------------ forms
async function submitResponse(ev) {
  ev.preventDefault();
  clearError("resp");
  const button = $("resp-submit");
  button.disabled = true;
  try {
    const model = $("resp-model").value;
    const d = await detail(model);
    const cells = splitList($("resp-cells").value);
    if (!cells.length) throw new Error("Cell lines: give at least one cell-line ID or name");
    let drugs = splitList($("resp-drugs").value);
    const payload = { model, cell_lines: cells, on_unknown: $("resp-nan").checked ? "nan" : "error" };
    const smilesText = $("resp-smiles").value.trim();
    if (smilesText) {
      payload.smiles = Object.fromEntries(parsePairsText(smilesText, "New drugs"));
      if (!drugs.length) drugs = Object.keys(payload.smiles);
    }
    if (!drugs.length) drugs = d.perturbations.map((p) => p.id);
    payload.drugs = drugs;
    const view = $("resp-view").value;
    const pasted = $("resp-omics").value.trim();
    const file = $("resp-omics-file").files[0];
    let result;
    if (file) {
      if (pasted) throw new Error("New cell lines: paste a CSV or upload a file, not both");
      const form = new FormData();
      form.append("request", JSON.stringify(payload));
      form.append(view, file, file.name);
      result = await api("/response/upload", { method: "POST", body: form });
    } else {
      if (pasted) payload.omics = { [view]: { csv: pasted } };
      result = await postJSON("/response", payload);
    }
    showResponse(result);
  } catch (err) {
    $("resp-result").hidden = true;
    showError("resp", err.message);
  } finally {
    button.disabled = false;
  }
}

function showResponse(result) {
  state.results.response = result;
  const rows = result.predictions.map((r) => ({ ...r }));
  const cols = ["cell_line", "drug", "prediction"];
  ["lower", "upper", "level", "flag", "status"].forEach((c) => { if (rows.some((r) => r[c] !== null && r[c] !== undefined)) cols.push(c); });
  state.results.responseCols = cols;
  $("resp-count").textContent = `${result.n} pairs, ${result.target}, model ${result.model}${result.has_intervals ? "" : " (no intervals: the bundle has no calibration)"}`;
  renderTable($("resp-table"), cols, rows);
  const cells = [...new Set(rows.map((r) => r.cell_line))];
  fillSelect($("resp-plot-cell"), cells);
  plotResponse();
  $("resp-result").hidden = false;
}

function plotResponse() {
  const res = state.results.response;
  if (!res) return;
  const cell = $("resp-plot-cell").value;
  const rows = res.predictions.filter((r) => r.cell_line === cell);
  dotPlot($("resp-plot"), rows, `predicted ${res.target} of ${cell} across drugs`);
}

async function submitExpression(ev) {
  ev.preventDefault();
  clearError("expr");
  const button = $("expr-submit");
  button.disabled = true;
  try {
    const smiles = $("expr-smiles").value.trim();
    const payload = {
      model: $("expr-model").value,
      cell_line: $("expr-cell").value,
      dose: number("expr-dose", "Dose (µM)"),
      time: number("expr-time", "Time (h)"),
      top_n: Math.round(number("expr-top", "Top genes")),
    };
    if (smiles) payload.smiles = smiles; else payload.compound = $("expr-compound").value;
    const genes = splitList($("expr-curve-genes").value);
    if (genes.length) payload.curve_genes = genes;
    const r = await postJSON("/expression", payload);
    state.results.expression = r;
    $("expr-note").textContent = `${r.smiles ? "SMILES " + r.smiles : r.compound} in ${r.cell_line}, ${r.dose} µM, ${r.time} h; ${r.genes.length} genes; model ${r.model}` +
      (r.extrapolated.length ? `; extrapolated: ${r.extrapolated.join("; ")}` : "");
    const bars = [...r.top_up, ...r.top_down.slice().reverse()].map((g) => ({ label: g.gene, value: g.value }));
    barChart($("expr-bars"), bars, "predicted signature (top up, top down)");
    if (r.curve) {
      const series = Object.entries(r.curve.genes).map(([g, ys]) => ({ name: g, x: r.curve.doses, y: ys }));
      lineChart($("expr-curve"), series, { logX: true, xLabel: "dose (µM, log scale)", yLabel: "z" });
    } else {
      $("expr-curve").replaceChildren();
    }
    const rows = r.genes.map((g, i) => ({ gene: g, value: r.signature[i] }));
    renderTable($("expr-table"), ["gene", "value"], rows);
    $("expr-result").hidden = false;
  } catch (err) {
    $("expr-result").hidden = true;
    showError("expr", err.message);
  } finally {
    button.disabled = false;
  }
}

async function submitRepurposing(ev) {
  ev.preventDefault();
  clearError("rep");
  const button = $("rep-submit");
  button.disabled = true;
  try {
    const payload = {
      model: $("rep-model").value,
      cell_line: $("rep-cell").value,
      dose: number("rep-dose", "Dose (µM)"),
      time: number("rep-time", "Time (h)"),
      mode: $("rep-mode").value,
      allow_missing_genes: $("rep-allow").checked,
    };
    const vec = $("rep-vector").value.trim();
    const up = splitList($("rep-up").value), down = splitList($("rep-down").value);
    if (vec) {
      if (up.length || down.length) throw new Error("Query: give up/down gene lists or a full signature, not both");
      const pairs = parsePairsText(vec, "Full signature");
      payload.vector = {};
      pairs.forEach(([g, v], i) => {
        const x = Number(v);
        if (!Number.isFinite(x)) throw new Error(`Full signature, line ${i + 1}: "${v}" is not a finite number`);
        payload.vector[g] = x;
      });
    } else {
      if (!up.length && !down.length) throw new Error("Query: give at least one up or down gene (both lists are empty)");
      payload.up = up;
      payload.down = down;
    }
    const lib = $("rep-library").value.trim();
    if (lib) payload.library = parsePairsText(lib, "Library").map(([name, smiles]) => ({ name, smiles }));
    const r = await postJSON("/repurposing", payload);
    state.results.repurposing = r;
    $("rep-note").textContent = `${r.n_library} compounds ranked to ${r.mode} the query in ${r.cell_line} at ${r.dose} µM, ${r.time} h; ${r.genes_used} query genes` +
      (r.genes_dropped.length ? ` (dropped: ${r.genes_dropped.join(", ")})` : "") + `. Scoring: ${r.method_description}`;
    const top = r.results.slice(0, 20).map((x) => ({ label: x.compound, value: x.connectivity }));
    barChart($("rep-plot"), top, `connectivity (${r.method}), top ${top.length}`);
    renderTable($("rep-table"), ["rank", "compound", "connectivity", "in_training", "smiles"], r.results.map((x) => ({ ...x })));
    $("rep-result").hidden = false;
  } catch (err) {
    $("rep-result").hidden = true;
    showError("rep", err.message);
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------------ start
function selectTab(name) {
  document.querySelectorAll("nav button").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === name)));
  document.querySelectorAll(".panel").forEach((p) => { p.hidden = p.id !== `panel-${name}`; });
}

async function start() {
  document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => selectTab(b.dataset.tab)));
  $("resp-form").addEventListener("submit", submitResponse);
  $("expr-form").addEventListener("submit", submitExpression);
  $("rep-form").addEventListener("submit", submitRepurposing);
  $("resp-plot-cell").addEventListener("change", plotResponse);
  $("resp-download").addEventListener("click", () => {
    const r = state.results.response;
    download(`predictions_${r.model}.csv`, state.results.responseCols, r.predictions);
  });
  $("expr-download").addEventListener("click", () => {
    const r = state.results.expression;
    download(`signature_${r.model}.csv`, ["gene", "value"], r.genes.map((g, i) => ({ gene: g, value: r.signature[i] })));
  });
  $("rep-download").addEventListener("click", () => {
    const r = state.results.repurposing;
    download(`repurposing_${r.model}_${r.mode}.csv`, ["rank", "compound", "connectivity", "in_training", "smiles"], r.results);
  });
  $("resp-template").addEventListener("click", async () => {
    const d = await detail($("resp-model").value);
    const feats = d.omics_features[$("resp-view").value] || [];
    download(`template_${$("resp-view").value}.csv`, ["cell_line", ...feats], []);
  });
  try {
    const health = await api("/health");
    state.models = (await api("/models")).models;
    $("status").textContent = `cellresponse ${health.version}: ${state.models.length} model(s) served`;
    fillSelect($("resp-model"), modelsOf("response"));
    fillSelect($("expr-model"), modelsOf("expression"));
    fillSelect($("rep-model"), modelsOf("expression"));
    $("resp-model").addEventListener("change", onResponseModel);
    $("expr-model").addEventListener("change", () => onExpressionModel("expr"));
    $("rep-model").addEventListener("change", () => onExpressionModel("rep"));
    if (modelsOf("response").length) await onResponseModel();
    if (modelsOf("expression").length) { await onExpressionModel("expr"); await onExpressionModel("rep"); }
    renderModels();
    document.body.dataset.ready = "true";
  } catch (err) {
    $("status").textContent = `cannot reach the service: ${err.message}`;
  }
}

document.addEventListener("DOMContentLoaded", start);
