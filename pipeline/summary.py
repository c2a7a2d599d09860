"""The run summary: what was read, extracted, dropped (by reason) and written, and the identity that proves no
article went missing between stages:

    articles extracted = written + duplicates (in run + already in output) + filtered + dead-lettered

Counts come from the run's Beam counters (namespace `scrapeline`), rows per partition from the commit
manifests under `<output>/_runs/<run_id>/`.
"""

from __future__ import annotations

import json
import logging
from collections import Counter

from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics.metric import MetricsFilter

from scrapeline.transforms.core.metrics import NAMESPACE
from scrapeline.transforms.core.storage import join

__all__ = ["build_summary", "counters_of", "render_summary"]


def counters_of(result) -> dict[str, int]:
    """The run's committed counters of our namespace (attempted, where a runner does not commit: then the key
    `_attempted_only` is 1, since attempted counters over-count work a runner redid: retries, recomputed stages)."""
    out: dict[str, int] = {}
    try:
        counters = result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]
    except Exception as e:  # noqa: BLE001  (a runner without metrics support: build_summary's check says so)
        logging.getLogger(__name__).warning("the runner returned no metrics: %s", e)
        return out
    for c in counters:
        value = c.committed if c.committed is not None else c.attempted
        out[c.key.metric.name] = out.get(c.key.metric.name, 0) + int(value or 0)
    if counters and all(c.committed is None for c in counters):
        out["_attempted_only"] = 1
    return out


def manifest_files(output: str, run_id: str, table: str) -> list[dict]:
    path = join(output, "_runs", run_id, f"{table}.json")
    if not FileSystems.exists(path):
        return []
    with FileSystems.open(path) as f:
        return json.loads(f.read().decode("utf-8"))["files"]


def build_summary(counters: dict[str, int], output: str, run_id: str, inputs: list[str], files: int = 0) -> dict:
    """The run's summary from its counters and commit manifests. `files`: how many input files the run listed; a
    run that listed some but whose runner returned no `files_read` counter cannot be checked, and fails the check
    (some portable runners return no metrics at all: the check must not pass on nothing)."""
    c = Counter(counters)
    no_metrics = files > 0 and not c["files_read"] and not c["read_units"]
    attempted_only = bool(c.pop("_attempted_only", 0))
    prefixed = lambda p: {k[len(p):]: v for k, v in sorted(c.items()) if k.startswith(p) and v}  # noqa: E731
    filtered = prefixed("filtered.")
    dead = {k: v for k, v in prefixed("dead_letters.").items() if k != "already_in_output"}
    article_dead = {k: v for k, v in dead.items() if k.split(".")[0] not in {"read", "split", "teaser"}}
    extracted = c["articles_extracted"]
    written = c["articles_written"]
    near_run, near_out = c["duplicates.near_in_run"], c["duplicates.near_in_output"]
    dup_run, dup_out = c["duplicates.in_run"] + near_run, c["duplicates.in_output"] + near_out
    accounted = written + dup_run + dup_out + sum(filtered.values()) + sum(article_dead.values())
    # Attempted-only metrics (Spark's portable runner) count again the work of a stage the runner computed twice
    # (a recomputed or retried stage): more accounted than extracted is that, not a loss. A loss still shows,
    # unless the reading itself ran again (more files read than listed: a lost executor's tasks redone from the
    # start), which over-counts the extracted side too: then neither side is exact and the check cannot tell.
    overcounted = attempted_only and accounted > extracted
    reread = attempted_only and files > 0 and c["files_read"] > files and extracted > accounted
    # Records never read: the WARC bytes every read walked against the bytes its files (or ranges) hold. A read
    # that stopped before its end (a crash inside a file) leaves bytes unwalked, however its records are counted.
    warc_bytes, warc_read = c["warc.bytes"], c["warc.bytes_read"]
    unread = warc_bytes - warc_read if not attempted_only else max(0, warc_bytes - warc_read)
    rows_per_partition: Counter = Counter()
    for f in manifest_files(output, run_id, "articles"):
        rows_per_partition[f["partition"]] += f["rows"]
    return {
        "run_id": run_id,
        "inputs": inputs,
        "output": output,
        "files_read": c["files_read"],
        "pages": c["pages"],
        "articles_extracted": extracted,
        "articles_written": written,
        "duplicates_in_run": dup_run,
        "duplicates_already_in_output": dup_out,
        "near_duplicates": {"in_run": near_run, "already_in_output": near_out,
                            "pairs_verified": c["neardup.pairs_verified"], "pairs_matched": c["neardup.pairs_matched"],
                            "oversized_buckets_skipped": c["neardup.oversized_buckets"],
                            "stored_index_entries_read": c["neardup.stored_entries_read"]},
        "stored_rows_updated_with_new_copies": c["duplicates.recorded_on_stored_rows"],
        "filtered": filtered,
        "dead_letters": dead,
        "teasers": {"extracted": c["teasers_extracted"], "written": c["teasers_written"],
                    "already_in_output": c["teasers.already_in_output"], "linked_to_articles": c["teasers.linked"],
                    "articles_teased": c["teasers.articles_teased"], "stored_teasers_matched": c["teasers.stored_read"],
                    "stored_teasers_linked": c["teasers.stored_linked"],
                    "stored_articles_teased": c["teasers.recorded_on_stored_articles"]},
        "dead_letters_written": c["dead_letters_written"],
        "dead_letters_already_in_output": c["dead_letters.already_in_output"],
        "rows_per_partition": dict(sorted(rows_per_partition.items())),
        "records": c["records"],
        "warc_bytes": {"in_files": warc_bytes, "read": warc_read},
        "containers": prefixed("container."),
        "skipped_records": prefixed("skipped."),
        "cleaning": prefixed("cleaned."),
        "fetched_at_from": prefixed("fetched_at."),
        # HTML pages: where the publisher came from (metadata, title_affix, copyright, url), and pages with none
        "publisher_from": {**prefixed("publisher.from."), "unknown": c["publisher.unknown"]},
        "identity": {
            "extracted": extracted,
            "written+duplicates+filtered+dead_lettered": accounted,
            # None: not verifiable (see why); the run is not failed for it, and says so
            "holds": None if reread and written == sum(rows_per_partition.values()) else
            not no_metrics and (extracted == accounted or overcounted) and written == sum(rows_per_partition.values())
            and unread == 0,
            "metrics": "attempted" if attempted_only else "committed",
            **({"why": f"{unread} bytes of WARC input were never read: a read stopped before the end of its file "
                       f"(see the read dead letters)"} if unread else {}),
            **({"why": f"the runner returned no metrics for a run over {files} file(s): the accounting cannot be "
                       f"checked"} if no_metrics else {}),
            **({"why": "attempted metrics only (this runner commits none): they count the work of a recomputed "
                       "or retried stage again, so the sum is over; no article is missing"} if overcounted else {}),
            **({"why": f"NOT VERIFIED: attempted metrics only (this runner commits none), and the runner read the "
                       f"input again ({c['files_read']} file reads for {files} file(s): lost work redone), so the "
                       f"extracted count is over too and cannot show a loss; the rows committed are those of the "
                       f"manifests"} if reread else {}),
        },
    }


_PARTITION_LINES = 20


def render_summary(s: dict) -> str:
    lines = [
        f"scrapeline run {s['run_id']} -> {s['output']}",
        f"  files read {s['files_read']}, pages {s['pages']}, articles extracted {s['articles_extracted']}",
        *(["  containers: " + ", ".join(f"{k} {v}" for k, v in s["containers"].items())] if s["containers"] else []),
        *(["  records skipped (not pages): " + ", ".join(f"{k} {v}" for k, v in s["skipped_records"].items())]
          if s["skipped_records"] else []),
        f"  written {s['articles_written']}, duplicates in this run {s['duplicates_in_run']}, "
        f"already in output {s['duplicates_already_in_output']}",
    ]
    near = s.get("near_duplicates") or {}
    if near.get("in_run") or near.get("already_in_output"):
        lines.append(f"  of these, near-duplicates or contained copies: {near['in_run']} in this run, "
                     f"{near['already_in_output']} of stored stories ({near['pairs_matched']} of "
                     f"{near['pairs_verified']} candidate pairs verified)")
    if near.get("oversized_buckets_skipped"):
        lines.append(f"  band-key buckets too large to compare (skipped): {near['oversized_buckets_skipped']}")
    if s["stored_rows_updated_with_new_copies"]:
        lines.append(f"  stored rows that recorded new copies of their story: {s['stored_rows_updated_with_new_copies']}")
    t = s.get("teasers") or {}
    if t.get("extracted"):
        lines.append(f"  teasers (link cards, in teasers/): {t['extracted']} seen, {t['written']} written, "
                     f"{t['already_in_output']} already in output; {t['linked_to_articles']} linked to their article, "
                     f"{t['articles_teased']} articles teased")
    pub = s.get("publisher_from") or {}
    if pub.get("unknown"):
        lines.append(f"  HTML pages naming no publisher (source=unknown): {pub['unknown']} "
                     f"(others from: {', '.join(f'{k} {v}' for k, v in pub.items() if k != 'unknown')})")
    if s["filtered"]:
        lines.append("  filtered: " + ", ".join(f"{k} {v}" for k, v in s["filtered"].items()))
    if s["dead_letters"]:
        lines.append(
            "  dead letters: " + ", ".join(f"{k} {v}" for k, v in s["dead_letters"].items())
            + f"  (see {s['output'].rstrip('/')}/dead_letters/)"
        )
    if s.get("dead_letters_already_in_output"):
        lines.append(f"  dead letters already in the output (not written again): {s['dead_letters_already_in_output']}")
    parts = list(s["rows_per_partition"].items())
    for part, n in parts[:_PARTITION_LINES]:
        lines.append(f"  {part}: {n} rows")
    if len(parts) > _PARTITION_LINES:  # a run over many sites writes hundreds: the record has them all
        rest = parts[_PARTITION_LINES:]
        lines.append(f"  ... and {len(rest)} more partitions ({sum(n for _, n in rest)} rows; all in the run record)")
    if s["articles_written"] == 0 and s["duplicates_already_in_output"]:
        lines.append(
            f"  no new rows: the {s['duplicates_already_in_output']} article(s) of this input are copies of stories "
            "the output already holds"
        )
    ident = s["identity"]
    lines.append(
        f"  check: extracted {ident['extracted']} = written + duplicates + filtered + dead-lettered "
        f"{ident['written+duplicates+filtered+dead_lettered']}: "
        f"{'ok' if ident['holds'] else 'not verified' if ident['holds'] is None else 'MISMATCH'}"
        + (f" ({ident['why']})" if ident.get("why") else "")
    )
    if s.get("status"):
        lines.append(f"  {s['status']} in {s['duration_s']:.1f} s ({s['started_at']} to {s['ended_at']}); "
                     f"record: {s['record']}")
    return "\n".join(lines)
