"""`scrapeline report`: one self-contained HTML page whose numbers are the data's (parsed back and checked)."""

from __future__ import annotations

import gzip
import json
from collections import Counter

from bs4 import BeautifulSoup

from scrapeline.pipeline.cli import main
from tests.support.stories import NVIDIA_CHIPS
from tests.support.outputs import table_rows

HARBOUR = ("The harbour authority said on Tuesday that the new container terminal on the north quay will open in "
           "the spring after two years of delays, and that the dredging of the approach channel is finished. "
           "Shipping lines have booked most of the berths for the first season, the authority said, while local "
           "residents asked again for limits on night work and for the promised noise barriers along the quay road. "
           "The council will vote on the barriers next month.")

FETCHED = ["--fetched-at", "2025-08-06T12:00:00Z"]


def _output(tmp_path):
    """The sample, a hostile title, a syndicated copy and a corrupt file, over two runs."""
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "a.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"url": "https://a.example/harbour", "text": "<script>alert(1)</script> Harbour & quay\n" + HARBOUR},
        {"url": "https://b.example/harbour", "text": "Harbour, the wire copy\n" + HARBOUR},
        {"url": "https://c.example/chips", "text": "Chips, a late copy\n" + NVIDIA_CHIPS},
    ]) + "\n")
    (inp / "bad.txt.gz").write_bytes(gzip.compress(b"Title\n" + b"word " * 300)[:30])
    out = tmp_path / "out"
    assert main(["run", "--output", str(out), *FETCHED]) == 0
    assert main(["run", str(inp), "--output", str(out), *FETCHED]) == 0
    return out


def test_the_report_says_what_the_data_says(tmp_path, capsys):
    out = _output(tmp_path)
    assert main(["report", str(out)]) == 0
    page = (out / "_report.html").read_text()
    soup = BeautifulSoup(page, "html.parser")
    rows, dead = table_rows(out, "articles"), table_rows(out, "dead_letters")  # the tables' current snapshots
    assert int(soup.find(id="total-rows").text) == len(rows) == 4  # the sample's 3 stories and the harbour
    assert int(soup.find(id="total-dead").text) == len(dead) == 1  # bad.txt.gz, cut
    assert [(d["stage"], d["reason"]) for d in dead] == [("read", "corrupt_compression")]
    assert int(soup.find(id="total-runs").text) == 2
    # the sample's in-run copy, the harbour's wire copy, the chips' late copy (recorded on the sample's row)
    assert int(soup.find(id="total-copies").text) == sum(r["duplicate_count"] for r in rows) == 3
    per_source = {tr.find_all("td")[0].text: int(tr.find_all("td")[1].text)
                  for tr in soup.find(id="per-source").find_all("tr")[1:]}
    assert per_source == dict(Counter(r["source"] for r in rows))
    per_day = {tr.find_all("td")[0].text: int(tr.find_all("td")[1].text)
               for tr in soup.find(id="per-day").find_all("tr")[1:]}
    assert per_day == dict(Counter(str(r["date"]) for r in rows))
    clusters = soup.find(id="clusters").find_all("tr")[1:]
    assert len(clusters) == sum(1 for r in rows if r["duplicate_count"])
    dead_rows = soup.find(id="dead-letters").find_all("tr")[1:]
    assert sum(int(tr.find_all("td")[2].text) for tr in dead_rows) == len(dead)
    runs = soup.find(id="runs").find_all("tr")[1:]
    assert [tr.find_all("td")[1].text for tr in runs] == ["succeeded", "succeeded"]
    # self-contained, and the scraped text is text: no script, no external resource
    assert soup.find("script") is None and soup.find("link") is None
    assert not [t for t in soup.find_all(src=True)] and "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Harbour &amp; quay" in page  # the kept title, escaped


def test_report_refuses_what_is_not_an_output(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a scrapeline output" in capsys.readouterr().err
