"""A standalone HTML page for a comparison: no scripts, no external assets."""

from __future__ import annotations

from html import escape
from pathlib import Path

from search.compare import Comparison, FacetValue
from search.sides import Passage

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b;max-width:80rem}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #ccc;
padding:.5rem;vertical-align:top;text-align:left}th{background:#12355b;color:#fff}
blockquote{margin:.3rem 0;padding-left:.6rem;border-left:3px solid #ffd24d;color:#333}
.cite{color:#666;font-size:.8rem}.score{font-weight:bold}h1{font-size:1.4rem}
"""


def comparison_html(comparison: Comparison) -> str:
    title = " vs ".join(comparison.sides)
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>"
        f"{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Comparison: {escape(title)}</h1>",
        _facets(comparison),
    ]
    for pair in comparison.pairs:
        parts.append(f"<h2>{escape(pair.left)} ↔ {escape(pair.right)}</h2>")
        parts.append(
            "<table><tr><th>score</th><th>"
            + escape(pair.left)
            + "</th><th>"
            + escape(pair.right)
            + "</th></tr>"
        )
        for a in pair.aligned:
            parts.append(
                f"<tr><td class='score'>{a.score:.2f}<br><span class='cite'>cosine "
                f"{a.semantic:.2f}, words {a.lexical:.2f}</span></td>"
                f"<td>{_passage(a.left)}</td><td>{_passage(a.right)}</td></tr>"
            )
        parts.append("</table>")
        for label, passages in ((pair.left, pair.only_left), (pair.right, pair.only_right)):
            parts.append(f"<h3>Only in {escape(label)} ({len(passages)})</h3>")
            parts += [_passage(p) for p in passages]
    parts.append("</body></html>")
    return "\n".join(parts)


def _facets(comparison: Comparison) -> str:
    rows = [
        "<table><tr><th>facet</th>"
        + "".join(f"<th>{escape(s)}</th>" for s in comparison.sides)
        + "</tr>"
    ]
    for facet, by_side in comparison.facets.items():
        cells = "".join(f"<td>{_values(by_side[s])}</td>" for s in comparison.sides)
        rows.append(f"<tr><td>{escape(facet)}</td>{cells}</tr>")
    return "\n".join(rows) + "</table>"


def _values(values: list[FacetValue]) -> str:
    if not values:
        return "<em>not stated</em>"
    out = []
    for v in values:
        quote = f"<blockquote>{escape(v.quote)}</blockquote>" if v.quote else ""
        where = f"<div class='cite'>{escape(v.doc_id)}, p. {v.page}, chars {v.start}–{v.end}</div>"
        out.append(f"<strong>{escape(v.value)}</strong>{quote}{where if v.quote else ''}")
    return "".join(out)


def _passage(p: Passage) -> str:
    section = f", “{escape(p.section)}”" if p.section else ""
    return (
        f"<blockquote>{escape(' '.join(p.text.split()))}</blockquote><div class='cite'>"
        f"{escape(Path(p.source).name)}, p. {p.page}, chars {p.start}–{p.end}{section}</div>"
    )
