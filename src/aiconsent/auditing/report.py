"""The HTML audit report a publisher can publish beside the dataset card.

One self-contained file: inline CSS, charts drawn here as inline SVG, no script and a
Content-Security-Policy that forbids loading anything, so opening it never makes a request.
Item keys and sources come from the manifest, i.e. from whoever wrote the signals, so every
string is escaped on the way in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any, Final

from aiconsent.carriers.safe_write import atomic_write

OUTCOMES: Final = ("allowed", "denied", "unknown")
COLOURS: Final = {"allowed": "#2e7d32", "denied": "#c62828", "unknown": "#8d8d8d"}
MOST_SOURCES: Final = 15
_LABEL_CHARS: Final = 36

_CSS: Final = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;
background:#fff}
main{max-width:60rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.6rem;margin:0 0 .3rem}h2{font-size:1.2rem;margin:2rem 0 .6rem;
border-bottom:1px solid #ddd;padding-bottom:.2rem}
dl.question{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}
dl.question dt{font-weight:600}dl.question dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:.4rem 0 1rem;min-width:24rem}
th,td{border:1px solid #d0d0d0;padding:.25rem .6rem;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
thead th{background:#f3f3f3}caption{text-align:left;font-weight:600;padding:.3rem 0}
.key{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 .8rem;vertical-align:-1px}
.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid #d0d0d0;border-radius:.4rem;padding:.6rem 1rem;min-width:8rem}
.card .n{font-size:1.6rem;font-weight:700;display:block}
svg{max-width:100%;height:auto}code{overflow-wrap:anywhere}
footer{margin-top:2rem;color:#555;font-size:.85rem}
"""


def _text(value: Any) -> str:
    """A value as escaped HTML text (None shows as a dash)."""
    return "—" if value is None else escape(str(value), quote=True)


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "…"


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def stacked_bars(
    title: str, description: str, rows: Sequence[tuple[str, Mapping[str, int]]], *, ident: str
) -> str:
    """An accessible horizontal stacked bar chart (inline SVG): one bar per row, by outcome."""
    if not rows:
        return f'<p id="{ident}">No items.</p>'
    label_width, bar_width, bar_height, gap, top = 250, 480, 18, 8, 8
    width = label_width + bar_width + 90
    height = top + len(rows) * (bar_height + gap) + 4
    largest = max(sum(counts.get(o, 0) for o in OUTCOMES) for _, counts in rows) or 1
    parts = [
        f'<svg id="{ident}" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        f'<title id="{ident}-title">{_text(title)}</title>',
        f'<desc id="{ident}-desc">{_text(description)}</desc>',
    ]
    for index, (label, counts) in enumerate(rows):
        y = top + index * (bar_height + gap)
        total = sum(counts.get(o, 0) for o in OUTCOMES)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_height - 5}" text-anchor="end" '
            f'font-size="12">{_text(_short(label))}<title>{_text(label)}</title></text>'
        )
        x = float(label_width)
        for outcome in OUTCOMES:
            count = counts.get(outcome, 0)
            if not count:
                continue
            span = bar_width * count / largest
            parts.append(
                f'<rect x="{x:.2f}" y="{y}" width="{max(span, 0.5):.2f}" height="{bar_height}" '
                f'fill="{COLOURS[outcome]}"><title>{_text(label)}: {count} {outcome}</title></rect>'
            )
            x += span
        parts.append(
            f'<text x="{x + 6:.2f}" y="{y + bar_height - 5}" font-size="12">{total}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend() -> str:
    keys = "".join(
        f'<span class="key" style="background:{COLOURS[o]}"></span>{o}' for o in OUTCOMES
    )
    return f'<p aria-hidden="true">{keys}</p>'


def _table(caption: str, head: str, rows: Mapping[str, Mapping[str, int]], *, ident: str) -> str:
    """A table of {key: {allowed, denied, unknown}} with a total per row."""
    body = []
    for key, counts in rows.items():
        cells = "".join(f'<td class="n">{counts.get(o, 0)}</td>' for o in OUTCOMES)
        total = sum(counts.get(o, 0) for o in OUTCOMES)
        body.append(f'<tr><th scope="row">{_text(key)}</th>{cells}<td class="n">{total}</td></tr>')
    if not body:
        body.append('<tr><td colspan="5">None.</td></tr>')
    header = "".join(f'<th scope="col" class="n">{o}</th>' for o in OUTCOMES)
    return (
        f'<table id="{ident}"><caption>{_text(caption)}</caption><thead><tr>'
        f'<th scope="col">{_text(head)}</th>{header}<th scope="col" class="n">items</th>'
        f"</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _largest_sources(
    by_source: Mapping[str, Mapping[str, int]],
) -> list[tuple[str, Mapping[str, int]]]:
    """The sources with most items; the rest are summed into one bar so the chart stays legible."""
    ranked = sorted(by_source.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    shown: list[tuple[str, Mapping[str, int]]] = list(ranked[:MOST_SOURCES])
    rest = ranked[MOST_SOURCES:]
    if rest:
        summed = {o: sum(counts.get(o, 0) for _, counts in rest) for o in OUTCOMES}
        shown.append((f"{len(rest)} other sources", summed))
    return shown


def render_report(
    totals: Mapping[str, Any],
    *,
    title: str | None = None,
    dataset: str | None = None,
    version: str = "",
) -> str:
    """The report as an HTML document, from the totals an audit returns (AuditResult.to_dict)."""
    decisions: Mapping[str, int] = totals["decisions"]
    items = int(totals["items"])
    heading = title or f"Consent audit of {Path(str(totals['manifest'])).name}"
    purposes = ", ".join(str(p) for p in totals["purposes"])
    question = [
        ("Dataset", dataset),
        ("Manifest", totals["manifest"]),
        ("Manifest SHA-256", totals["sha256"]),
        ("Purposes", purposes),
        ("Jurisdiction", totals["jurisdiction"] or "not given (fail closed)"),
        ("Evaluated at", totals["at"]),
        ("Policy", totals["policy"]),
        ("Engine", totals["engine"]),
    ]
    rows_dl = "".join(
        f"<dt>{_text(name)}</dt><dd><code>{_text(value)}</code></dd>"
        for name, value in question
        if value is not None
    )
    cards = "".join(
        f'<div class="card"><span class="n" id="count-{o}">{decisions.get(o, 0)}</span>'
        f"{o} ({_share(decisions.get(o, 0), items)})</div>"
        for o in OUTCOMES
    )
    cards = (
        f'<div class="card"><span class="n" id="count-items">{items}</span>items</div>{cards}'
        f'<div class="card"><span class="n" id="count-declarations">{totals["declarations"]}'
        f'</span>declarations</div><div class="card"><span class="n" id="count-unreadable">'
        f"{totals['unreadableItems']}</span>items with unreadable signals</div>"
    )
    by_year = list(totals["byYear"].items())
    years = stacked_bars(
        "Outcomes by creation year",
        "Stacked bars: items allowed, denied and unknown for each year the content was created.",
        by_year,
        ident="chart-year",
    )
    sources = stacked_bars(
        "Outcomes by source",
        "Stacked bars: items allowed, denied and unknown for each source the items came from.",
        _largest_sources(totals["bySource"]),
        ident="chart-source",
    )
    reasons = (
        "".join(
            f'<tr><th scope="row"><code>{_text(code)}</code></th><td class="n">{count}</td></tr>'
            for code, count in totals["byReason"].items()
        )
        or '<tr><td colspan="2">None.</td></tr>'
    )
    flagged = "".join(
        f'<tr><th scope="row">{name}</th><td class="n">{group["items"]}</td>'
        + "".join(f'<td class="n">{group[o]}</td>' for o in OUTCOMES)
        + "</tr>"
        for name, group in (
            ("minors' content", totals["minors"]),
            ("withdrawn", totals["withdrawn"]),
        )
    )
    flagged_head = "".join(f'<th scope="col" class="n">{o}</th>' for o in OUTCOMES)
    examples = "".join(
        f'<h3>{o.capitalize()}</h3><ul id="examples-{o}">'
        + (
            "".join(f"<li><code>{_text(item)}</code></li>" for item in totals["examples"][o])
            or "<li>None.</li>"
        )
        + "</ul>"
        for o in ("denied", "unknown")
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{_text(heading)}</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<h1>{_text(heading)}</h1>
<p>Whether each item of the dataset may be used for the purposes below, decided from the consent
signals recorded in its manifest (aiconsent, spec §6 and §10.5).</p>
<h2>Question</h2>
<dl class="question">{rows_dl}</dl>
<h2>Totals</h2>
<div class="cards">{cards}</div>
<h2>Outcomes by creation year</h2>
{_legend()}
{years}
<h2>Outcomes by source</h2>
{_legend()}
{sources}
<h2>Reasons</h2>
<table id="table-reason"><caption>Items whose decision gives each reason</caption>
<thead><tr><th scope="col">reason</th><th scope="col" class="n">items</th></tr></thead>
<tbody>{reasons}</tbody></table>
{
        _table(
            "Items by legal basis of their declarations",
            "basis",
            totals["byBasis"],
            ident="table-basis",
        )
    }
{
        _table(
            "Items by carrier the declarations were found in",
            "carrier",
            totals["byCarrier"],
            ident="table-carrier",
        )
    }
{
        _table(
            "Items by jurisdiction of their declarations",
            "jurisdiction",
            totals["byJurisdiction"],
            ident="table-jurisdiction",
        )
    }
{_table("Items by creation year", "year", totals["byYear"], ident="table-year")}
{_table("Items by source", "source", totals["bySource"], ident="table-source")}
<h2>Minors' content and withdrawals</h2>
<table id="table-flagged"><thead><tr><th scope="col">items</th><th scope="col" class="n">total
</th>{flagged_head}</tr></thead><tbody>{flagged}</tbody></table>
<h2>Examples</h2>
{examples}
<footer>Generated by aiconsent {_text(version)}. Counts are per item; an item counts once under
each basis, carrier, jurisdiction and source among its declarations.</footer>
</main>
</body>
</html>
"""


def write_report(
    path: Path,
    totals: Mapping[str, Any],
    *,
    title: str | None = None,
    dataset: str | None = None,
    version: str = "",
) -> Path:
    """Write the report atomically; return the file written."""
    text = render_report(totals, title=title, dataset=dataset, version=version)
    return atomic_write(path, text.encode("utf-8"))
