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

// The API answers JSON, errors included (problem details); a proxy or a crash may not.
async function getJSON(url, options) {
  const response = await fetch(url, options);
  const isJSON = (response.headers.get("content-type") || "").includes("json");
  const body = isJSON ? await response.json() : null;
  if (!response.ok) throw new Error(body?.detail || `server error ${response.status}`);
  if (!isJSON) throw new Error(`unexpected reply from the server (${response.status})`);
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

// Each search or answer table takes a number; a reply to an older one is dropped, so a
// quick Back, Forward or second click never shows results for another URL.
let latest = 0;

async function runSearch(params) {
  const mine = ++latest;
  const status = $("status");
  status.textContent = "Searching…";
  $("results").replaceChildren();
  $("evidence").replaceChildren();
  try {
    const data = await getJSON(`/search?${params}`);
    if (mine !== latest) return;
    const first = (data.page - 1) * data.per_page + 1;
    const last = first + data.results.length - 1;
    const shown = data.page > 1 ? `Documents ${first}–${last}` : `${data.results.length} documents`;
    status.textContent = data.results.length
      ? `${shown} for “${data.query}”`
      : `No documents match “${data.query}”.`;
    $("results").start = first;
    $("results").replaceChildren(...data.results.map(renderResult), ...pager(params, data));
  } catch (err) {
    if (mine === latest) status.textContent = `Search failed: ${err.message}`;
  }
}

// Earlier / later pages of the same search, as links the browser's history keeps.
function pager(params, data) {
  const link = (page, text) => {
    const query = new URLSearchParams(params);
    query.set("page", page);
    return el("a", { href: `/?${query}`, textContent: text, className: "pager" });
  };
  const links = [];
  if (data.page > 1) links.push(link(data.page - 1, "← Earlier results"));
  if (data.has_more) links.push(link(data.page + 1, "More results →"));
  return links.length ? [el("li", { className: "pages" }, links)] : [];
}

async function loadOrganisations() {
  try {
    const data = await getJSON("/organisations");
    for (const org of data.organisations) {
      if (!org.organisation) continue;
      const label = `${org.organisation} (${org.documents})`;
      for (const id of ["organisation", "compare-a", "compare-b"]) {
        $(id).append(el("option", { value: org.organisation, textContent: label }));
      }
    }
    if ($("compare-b").options.length > 1) $("compare-b").selectedIndex = 1;
  } catch (err) { /* filters stay at "Any" */ }
  // Comparing needs two organisations to choose from.
  $("compare-form").querySelector("button").disabled = $("compare-b").options.length < 2;
}

const notStated = () => el("span", { className: "notstated", textContent: "not stated" });

function quoteBlock(q) {
  const where = `${q.source.split("/").pop()}, p. ${q.page}, characters ${q.start}–${q.end}`;
  return el("div", {}, [
    el("blockquote", { textContent: q.quote }),
    el("a", { className: "cite", href: `/?doc=${q.doc_id}&start=${q.start}&end=${q.end}`, textContent: where }),
  ]);
}

function passageBlock(p) {
  return quoteBlock({ quote: p.text, source: p.source, doc_id: p.doc_id, page: p.page,
    start: p.start, end: p.end });
}

function gridTable(headers, rows) {
  const head = el("tr", {}, headers.map((h) => el("th", { textContent: h })));
  return el("table", { className: "grid" }, [head, ...rows.map((cells) =>
    el("tr", {}, cells.map((c) => el("td", {}, [c]))))]);
}

async function runEvidence(params) {
  const mine = ++latest;
  const status = $("status");
  status.textContent = "Building the answer table…";
  $("results").replaceChildren();
  $("evidence").replaceChildren();
  const query = new URLSearchParams({ q: params.get("q") });
  for (const key of ["organisation", "date_from", "date_to", "type"]) if (params.get(key)) query.set(key, params.get(key));
  try {
    const data = await getJSON(`/evidence?${query}`);
    if (mine !== latest) return;
    status.textContent = `${data.rows.length} rows from ${data.matched_documents} matching documents. ${data.notes.join(" ")}`;
    const rows = data.rows.map((r) => [
      el("strong", { textContent: r.organisation }),
      el("div", {}, [r.service || "not stated", el("br"), `from ${r.provider || "not stated"}`]),
      r.funding_streams.length || r.amounts.length
        ? el("div", { textContent: [...r.funding_streams.map((s) => s.label), ...r.amounts.map((a) => a.text)].join("; ") })
        : notStated(),
      el("div", { textContent: [r.mechanism, r.duration, r.decision_date].map((x) => x || "not stated").join(" · ") }),
      el("div", {}, r.evidence.slice(0, 3).map(quoteBlock)),
    ]);
    $("evidence").replaceChildren(gridTable(["Organisation", "Service / provider", "Funding", "How / when", "Evidence"], rows));
  } catch (err) {
    if (mine === latest) status.textContent = `Answer table failed: ${err.message}`;
  }
}

async function showCompare(items) {
  $("search-view").hidden = true;
  $("compare-view").hidden = false;
  $("compare-title").textContent = `Comparing ${items.join(" and ")}`;
  try {
    const data = await getJSON("/compare", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ items }),
    });
    const facetRows = Object.entries(data.facets).map(([facet, bySide]) => [
      el("strong", { textContent: facet }),
      ...data.sides.map((side) => bySide[side].length
        ? el("div", {}, bySide[side].map((v) => el("div", {}, [el("strong", { textContent: v.value }),
            v.quote ? quoteBlock({ ...v, source: v.source || v.doc_id }) : ""])))
        : notStated()),
    ]);
    $("compare-facets").replaceChildren(gridTable(["", ...data.sides], facetRows));
    const pairs = data.pairs.map((pair) => {
      const rows = pair.aligned.map((a) => [
        el("span", { textContent: a.score.toFixed(2) }),
        passageBlock(a.left),
        passageBlock(a.right),
      ]);
      return el("div", {}, [el("h2", { textContent: `Closest passages: ${pair.left} and ${pair.right}` }),
        gridTable(["score", pair.left, pair.right], rows),
        el("p", { textContent: `Only in ${pair.left}: ${pair.only_left.length} passages; only in ${pair.right}: ${pair.only_right.length}.` })]);
    });
    $("compare-pairs").replaceChildren(...pairs);
  } catch (err) {
    $("compare-title").textContent = `Comparison not available: ${err.message}`;
  }
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

// The search form and its results as the URL says: on load, and on Back and Forward.
function showSearch(params) {
  const form = $("search-form");
  for (const field of form.elements) {
    if (!field.name || field.type === "submit") continue;
    const value = params.get(field.name) || "";
    // A filter the list does not hold (a GSS code, another spelling) is shown, not dropped.
    if (field.tagName === "SELECT" && value && ![...field.options].some((o) => o.value === value)) {
      field.append(el("option", { value, textContent: value }));
    }
    field.value = value || (field.tagName === "SELECT" ? field.options[0].value : "");
  }
  $("status").textContent = "";
  $("results").replaceChildren();
  $("evidence").replaceChildren();
  if (params.get("q")) (params.get("view") === "evidence" ? runEvidence : runSearch)(params);
}

async function init() {
  const params = new URLSearchParams(location.search);
  if (params.getAll("compare").length >= 2) {
    showCompare(params.getAll("compare"));
    return;
  }
  if (params.has("doc")) {
    const num = (k) => (params.has(k) ? Number.parseInt(params.get(k), 10) : undefined);
    $("back").addEventListener("click", (event) => {
      // Back to the search that led here (same site), keeping its query and filters.
      if (document.referrer.startsWith(`${location.origin}/`)) {
        event.preventDefault();
        history.back();
      }
    });
    showDocument(params.get("doc"), num("start"), num("end"));
    return;
  }
  const form = $("search-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (value) query.set(key, value);
    query.set("view", event.submitter?.value || "search");
    history.pushState(null, "", `/?${query}`);
    (query.get("view") === "evidence" ? runEvidence : runSearch)(query);
  });
  $("compare-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    query.append("compare", $("compare-a").value);
    query.append("compare", $("compare-b").value);
    location.search = `?${query}`;
  });
  window.addEventListener("popstate", () => showSearch(new URLSearchParams(location.search)));
  await loadOrganisations();  // before the URL's filters are set: they may name its options
  // The URL now, not at load: a search sent while the list loaded has moved it on.
  if (latest === 0) showSearch(new URLSearchParams(location.search));
}

init();
