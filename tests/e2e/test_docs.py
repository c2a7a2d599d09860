"""The documentation: the generated pages are what the code generates, the site builds with `mkdocs build --strict`,
the README stays a first page that opens with the CI command block, no page talks of how the project was built,
and every relative link leads to a file that exists.

mkdocs-material is in the `docs` extra, which the README's test command installs: a missing mkdocs fails here,
it is not skipped."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import pytest

from tests.support.paths import REPO

README_LIMIT = 300
FIRST_BLOCK = [
    "```",
    "python3.11 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/scrapeline run --output out",
    "python3.11 -m venv .venv && .venv/bin/pip install -q -e '.[test,dagster,airflow,docs]' && .venv/bin/python -m pytest -q -n auto "
    "--maxprocesses 4 --dist loadfile",
    "```",
]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_reference", REPO / "docs" / "gen_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_pages_are_up_to_date():
    pages = _generator().pages()
    assert {p.name for p in pages} == {"cli.md", "schema.md"}
    for path, text in pages.items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(REPO)} is out of date: run `python docs/gen_reference.py`")


def test_cli_page_has_every_command():
    from scrapeline.pipeline.cli import COMMANDS

    page = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"## `scrapeline {name}`" in page and f"usage: scrapeline {name}" in page


def test_mkdocs_build_strict(tmp_path):
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml"), "-d", str(site)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    changelog = (site / "changelog" / "index.html").read_text(encoding="utf-8")
    assert "0.4.0" in changelog, "CHANGELOG.md was not included into docs/changelog.md"
    assert (site / "cli" / "index.html").is_file() and (site / "schema" / "index.html").is_file()
    assert not (site / "gen_reference.py").exists()


def test_readme_is_a_first_page_opening_with_the_ci_block():
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_LIMIT, f"README.md has {len(lines)} lines (at most {README_LIMIT})"
    assert lines[0].startswith("# ") and lines[1] == "", "the README opens with its title, then the command block"
    assert lines[2:6] == FIRST_BLOCK
    # .ci/run runs the second line of the first ``` block: it must install the docs extra that the build test needs
    assert "docs" in lines[4] and "pytest" in lines[4]


# --- words: nothing about how the project was built ------------------------------------------------------------

_FORBIDDEN = [
    (re.compile(r"\bissue\s*#?\s*[1-9][0-9]?\b", re.I), "an issue reference"),
    (re.compile(re.escape("../shared")), "a ../shared path"),
    (re.compile(r"offline\s+machines", re.I), "'offline machines'"),
]
_SCANNED = ["README.md", "CHANGELOG.md", "mkdocs.yml", "docs", "configs", "pipeline", "transforms"]


def _text_files(where: str):
    root = REPO / where
    paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for path in paths:
        if "__pycache__" in path.parts:
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue
        try:
            yield path, data.decode("utf-8")
        except UnicodeDecodeError:
            continue


@pytest.mark.parametrize("where", _SCANNED)
def test_no_talk_of_how_the_project_was_built(where):
    found = []
    for path, text in _text_files(where):
        for number, line in enumerate(text.splitlines(), 1):
            for pattern, what in _FORBIDDEN:
                for m in pattern.finditer(line):
                    found.append(f"{path.relative_to(REPO)}:{number}: {what}: {m.group(0)!r}")
    assert not found, "\n".join(found)


# --- links -----------------------------------------------------------------------------------------------------

_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_CODE = re.compile(r"`[^`\n]*`")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def _slug(heading: str) -> str:
    """The anchor Python-Markdown's toc (and GitHub, for these headings) gives a heading."""
    text = re.sub(r"[^\w\s-]", "", heading.replace("`", "")).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _anchors(path) -> set[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    return {_slug(h) for h in _HEADING.findall(text)}


def _link_sources():
    return [REPO / "README.md", REPO / "CHANGELOG.md", *sorted((REPO / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", _link_sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_lead_to_files_that_exist(page):
    text = _CODE.sub("", _FENCE.sub("", page.read_text(encoding="utf-8")))
    broken = []
    for target in _LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target}: no heading with the anchor #{anchor}")
    assert not broken, f"{page.relative_to(REPO)}: " + "; ".join(broken)
