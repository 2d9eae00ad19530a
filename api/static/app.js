// Precedent web page: a search form and a document view over the JSON API.
// Document text is inserted with textContent only, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

// Text with [start, end) spans wrapped in <mark>.
function marked(text, spans) {
  const out = [];
  let pos = 0;
  for (const [a, b] of spans) {
    if (a < pos) continue;
    out.push(text.slice(pos, a), el("mark", { textContent: text.slice(a, b) }));
    pos = b;
  }
  out.push(text.slice(pos));
  return out;
}

async function getJSON(url) {
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail || response.statusText);
  return body;
}

function citationText(c) {
  const page = c.page === c.page_end ? `p. ${c.page}` : `pp. ${c.page}-${c.page_end}`;
  const section = c.section ? `, “${c.section}”` : "";
  return `${c.source.split("/").pop()}, ${page}, characters ${c.start}–${c.end}${section}`;
}

function renderResult(hit) {
  const docLink = `/?doc=${hit.doc_id}`;
  const passages = hit.passages.map((p) => {
    const c = p.citation;
    const cite = el("a", {
      className: "cite", href: `${docLink}&start=${c.start}&end=${c.end}`,
      textContent: citationText(c),
    });
    return el("p", { className: "passage" }, [...marked(p.text, p.highlights), cite]);
  });
  const meta = [hit.organisation || "Organisation not stated", hit.date || "date not stated",
    hit.doc_type || "type not stated"].join(" · ");
  return el("li", { className: "result" }, [
    el("h2", {}, [el("a", { href: docLink, textContent: hit.title || "(untitled)" })]),
    el("div", { className: "meta", textContent: meta }),
    ...passages,
  ]);
}

async function runSearch(params) {
  const status = $("status");
  status.textContent = "Searching…";
  $("results").replaceChildren();
  try {
    const data = await getJSON(`/search?${params}`);
    status.textContent = data.results.length
      ? `${data.results.length} documents for “${data.query}”`
      : `No documents match “${data.query}”.`;
    $("results").replaceChildren(...data.results.map(renderResult));
  } catch (err) {
    status.textContent = `Search failed: ${err.message}`;
  }
}

async function loadOrganisations() {
  try {
    const data = await getJSON("/organisations");
    for (const org of data.organisations) {
      if (!org.organisation) continue;
      $("organisation").append(el("option", { value: org.organisation, textContent: `${org.organisation} (${org.documents})` }));
    }
  } catch (err) { /* filters stay at "Any" */ }
}

async function showDocument(id, start, end) {
  $("search-view").hidden = true;
  $("document-view").hidden = false;
  try {
    const doc = await getJSON(`/documents/${encodeURIComponent(id)}`);
    $("doc-title").textContent = doc.title || "(untitled)";
    const fields = [["Organisation", doc.organisation], ["Type", doc.doc_type], ["Date", doc.date],
      ["Reference", doc.decision_ref], ["Source", doc.source_url || doc.source.split("/").pop()],
      ["Pages", doc.page_count], ["Document id", doc.id]];
    $("doc-meta").replaceChildren(...fields.flatMap(([k, v]) =>
      [el("dt", { textContent: k }), el("dd", { textContent: v ?? "not stated" })]));
    const spans = Number.isInteger(start) && Number.isInteger(end) ? [[start, end]] : [];
    $("doc-text").replaceChildren(...marked(doc.text, spans));
    const mark = $("doc-text").querySelector("mark");
    if (mark) mark.scrollIntoView({ block: "center" });
  } catch (err) {
    $("doc-title").textContent = `Document not available: ${err.message}`;
  }
}

function init() {
  const params = new URLSearchParams(location.search);
  if (params.has("doc")) {
    const num = (k) => (params.has(k) ? Number.parseInt(params.get(k), 10) : undefined);
    showDocument(params.get("doc"), num("start"), num("end"));
    return;
  }
  loadOrganisations();
  const form = $("search-form");
  for (const [key, value] of params) if (form.elements[key]) form.elements[key].value = value;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (value) query.set(key, value);
    history.pushState(null, "", `/?${query}`);
    runSearch(query);
  });
  if (params.get("q")) runSearch(params);
}

init();
