"""`scrapeline report OUTPUT [--to FILE]`: one self-contained HTML page about an output.

Rows per source and per day (inline SVG bar charts), duplicate clusters (largest first, with their sources and
how the copies matched), dead letters by stage and reason with examples, and the run history (status, duration,
pages/s). No script, no stylesheet or font from the network: the page opens offline and in a mail attachment.
Every text from the data is HTML-escaped (the data is scraped from the web). Default file:
`<output>/_report.html` (`_`-prefixed, so readers of the dataset skip it). Local outputs only.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections import Counter
from pathlib import Path

import pyarrow.dataset as ds

from scrapeline.pipeline.errors import UsageError
from scrapeline.transforms.core.storage import is_remote

__all__ = ["build_report", "write_report"]

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border-bottom:1px solid #eee;padding:3px 6px;
text-align:left;vertical-align:top}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#777}.bar{fill:#4a7fb5}.axis{font-size:11px;fill:#555}code{font-size:12px}
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _read(output: Path, table: str, columns: list[str]) -> list[dict]:
    from scrapeline.pipeline.tables import is_iceberg, read_rows

    if is_iceberg(str(output)):  # the current snapshot: retired files stay on disk until expiry
        return read_rows(str(output), table, columns)
    root = output / table
    if not root.is_dir() or not any(root.rglob("*.parquet")):
        return []
    dataset = ds.dataset(str(root), format="parquet", partitioning="hive",
                         exclude_invalid_files=True, ignore_prefixes=["_", "."])
    names = [c for c in columns if c in dataset.schema.names]
    return dataset.to_table(columns=names).to_pylist()


def _bars(title: str, counts: list[tuple[str, int]], table_id: str) -> str:
    """A horizontal bar chart (inline SVG) and the same numbers as a table (the chart's accessible twin)."""
    if not counts:
        return f"<h2>{_e(title)}</h2><p class='muted'>none</p>"
    top = max(n for _, n in counts)
    row_h, label_w, width = 18, 260, 760
    svg = [f"<svg role='img' aria-label='{_e(title)}' width='{width}' height='{row_h * len(counts) + 4}' "
           f"xmlns='http://www.w3.org/2000/svg'>"]
    for i, (label, n) in enumerate(counts):
        w = max(1, round((width - label_w - 60) * n / top))
        y = i * row_h
        svg.append(f"<text class='axis' x='{label_w - 6}' y='{y + 13}' text-anchor='end'>{_e(label[:40])}</text>"
                   f"<rect class='bar' x='{label_w}' y='{y + 3}' width='{w}' height='{row_h - 6}'/>"
                   f"<text class='axis' x='{label_w + w + 4}' y='{y + 13}'>{n}</text>")
    svg.append("</svg>")
    rows = "".join(f"<tr><td>{_e(label)}</td><td class='n'>{n}</td></tr>" for label, n in counts)
    return (f"<h2>{_e(title)}</h2>{''.join(svg)}<details><summary>as a table</summary>"
            f"<table id='{table_id}'><tr><th>value</th><th class='n'>rows</th></tr>{rows}</table></details>")


def _section(title: str, table_id: str, header: list[str], rows: list[list[str]]) -> str:
    """A titled table of already-escaped cells ("#name": a right-aligned number column), or "none"."""
    if not rows:
        return f"<h2>{_e(title)}</h2><p class='muted'>none</p>"
    numeric = [h.startswith("#") for h in header]
    head = "".join(f"<th class='n'>{_e(h[1:])}</th>" if n else f"<th>{_e(h)}</th>" for h, n in zip(header, numeric))
    body = "".join("<tr>" + "".join(f"<td class='n'>{c}</td>" if n else f"<td>{c}</td>" for c, n in zip(row, numeric))
                   + "</tr>" for row in rows)
    return f"<h2>{_e(title)}</h2><table id='{table_id}'><tr>{head}</tr>{body}</table>"


def build_report(output: str | Path, max_clusters: int = 50, max_sources: int = 30) -> str:
    """The HTML page for `output` (a string; pure but for reading the output)."""
    output = Path(output)
    articles = _read(output, "articles", ["source", "date", "title", "duplicate_count", "duplicate_sources",
                                           "duplicate_matches", "source_name", "url"])
    dead = _read(output, "dead_letters", ["stage", "reason", "input_uri", "record_index", "error", "excerpt"])
    runs = []
    for f in sorted((output / "_runs").glob("*.json")) if (output / "_runs").is_dir() else []:
        try:
            runs.append(json.loads(f.read_text()))
        except (OSError, ValueError):
            continue
    runs.sort(key=lambda r: r.get("started_at") or r.get("run_id") or "")

    by_source = Counter(a["source"] for a in articles)
    by_day = Counter(str(a["date"]) for a in articles)
    copies = sum(a["duplicate_count"] or 0 for a in articles)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>scrapeline report: {_e(output.name)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>scrapeline report: <code>{_e(output)}</code></h1>",
        f"<p>Generated {_e(dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds'))}. "
        f"<span id='total-rows'>{len(articles)}</span> rows from <span id='total-sources'>{len(by_source)}</span> "
        f"sources over <span id='total-days'>{len(by_day)}</span> days; "
        f"<span id='total-copies'>{copies}</span> further copies folded into them; "
        f"<span id='total-dead'>{len(dead)}</span> dead letters; <span id='total-runs'>{len(runs)}</span> run(s).</p>",
        _bars(f"Rows per source (top {max_sources})", by_source.most_common(max_sources), "per-source"),
        _bars("Rows per day", sorted(by_day.items()), "per-day") if len(by_day) <= 60 else
        _bars("Rows per month (over 60 days: per day in the table below)",
              sorted(Counter(d[:7] for d in by_day.elements()).items()), "per-month")
        + "<details><summary>per day</summary><table id='per-day'><tr><th>day</th><th class='n'>rows</th></tr>"
        + "".join(f"<tr><td>{_e(d)}</td><td class='n'>{n}</td></tr>" for d, n in sorted(by_day.items()))
        + "</table></details>",
    ]
    clusters = sorted((a for a in articles if a["duplicate_count"]), key=lambda a: (-a["duplicate_count"], a["title"]))
    parts.append(_section(
        f"Duplicate clusters (largest first, {min(len(clusters), max_clusters)} of {len(clusters)})", "clusters",
        ["story (kept copy's title)", "#copies", "sources", "how copies matched"],
        [[_e(a["title"]), str(1 + a["duplicate_count"]), _e(", ".join(a["duplicate_sources"] or ())),
          _e(", ".join(f"{k} {v}" for k, v in sorted(Counter(m["match"] for m in a["duplicate_matches"] or ()).items())))]
         for a in clusters[:max_clusters]]))
    groups: dict[tuple[str, str], list[dict]] = {}
    for d in dead:
        groups.setdefault((d["stage"], d["reason"]), []).append(d)
    parts.append(_section(
        "Dead letters by stage and reason", "dead-letters", ["stage", "reason", "#count", "example"],
        [[_e(stage), _e(reason), str(len(items)),
          f"<code>{_e(items[0]['input_uri'])}#{_e(items[0]['record_index'])}</code><br>{_e(items[0]['error'][:200])}"
          f"<br><span class='muted'>{_e((items[0]['excerpt'] or '')[:200])}</span>"]
         for (stage, reason), items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))]))
    parts.append(_section(
        "Run history", "runs", ["run", "status", "started", "#seconds", "#pages", "#rows written", "#pages/s"],
        [[f"<code>{_e(r.get('run_id'))}</code>", _e(r.get("status", "succeeded")), _e(r.get("started_at", "")),
          _e(r.get("duration_s", "")), _e(r.get("pages", "")), _e(r.get("articles_written", "")),
          f"{r.get('pages', 0) / r['duration_s']:.1f}" if r.get("duration_s") else ""]
         for r in runs]))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(output: str, to: str | None = None) -> Path:
    """Write the report page of a local output; where it went. UsageError for what is not a local output."""
    if is_remote(output):
        raise UsageError("report reads local outputs only")
    out = Path(output)
    if not (out / "articles").is_dir() and not (out / "_runs").is_dir():
        raise UsageError(f"{out} is not a scrapeline output (no articles/ or _runs/)")
    target = Path(to) if to else out / "_report.html"
    target.write_text(build_report(out), encoding="utf-8")
    return target
