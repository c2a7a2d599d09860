"""The house stays as built: no import cycle, and every import points down the layer order.

    transforms.core  <-  transforms.{read, extract, dedup, output}  <-  transforms.{link, streaming}  <-  pipeline

and inside pipeline/: errors <- {options, config, lock, summary, progress, ddl, tables, speedups, workers} <- graph <- run
<- {compact, watch, report} <- api <- cli. The four middle stages never import each other. Imports inside functions count
too (a lazy import is still an arrow). Read from the source with `ast`, so nothing is imported to check it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"pipeline": ROOT / "pipeline", "transforms": ROOT / "transforms"}

_STAGES = ("read", "extract", "dedup", "output")
_PIPELINE = {
    "__init__": 0, "errors": 0,
    "options": 1, "config": 1, "lock": 1, "summary": 1, "progress": 1, "ddl": 1,
    "tables": 1, "speedups": 1, "workers": 1, "graph": 2, "run": 3, "compact": 4, "watch": 4, "report": 4, "api": 5, "cli": 6,
}


def modules() -> dict[str, Path]:
    """`transforms.dedup.near` -> its file, for every module of the two packages."""
    found = {}
    for pkg, base in PACKAGES.items():
        for path in base.rglob("*.py"):
            parts = path.relative_to(base).with_suffix("").parts
            name = ".".join((pkg, *parts))
            found[name.removesuffix(".__init__")] = path
    return found


def _parse(source: str) -> ast.Module:
    """`ast.parse`, asked again when CPython 3.11 raises "AST constructor recursion depth mismatch", a spurious
    error of its AST converter reported in threaded programs (python/cpython gh-106905). Seen once in CI, on
    html.py, which parses fine, in a test process where another test's thread was still retrying an S3 listing."""
    for _ in range(2):
        try:
            return ast.parse(source)
        except SystemError:
            pass
    return ast.parse(source)


def imports(path: Path) -> set[str]:
    """Every scrapeline module `path` imports (top level or inside functions), as `transforms.x.y`."""
    out = set()
    for node in ast.walk(_parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("scrapeline."):
            base = node.module.removeprefix("scrapeline.")
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)  # `from pkg import module`
        elif isinstance(node, ast.Import):
            out.update(a.name.removeprefix("scrapeline.") for a in node.names if a.name.startswith("scrapeline."))
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: {i for i in imports(path) if i in mods and i != name} for name, path in mods.items()}


def layer(module: str) -> tuple[int, str]:
    """(rank, group): an import may go to a lower rank, or stay inside its own group (one stage's package)."""
    parts = module.split(".")
    if parts[0] == "transforms":
        if len(parts) == 1:
            return 0, "transforms"
        top = parts[1]
        if top == "core":
            return 0, "core"
        if top in _STAGES:
            return 1, top
        return 2, top  # link, streaming
    name = parts[1] if len(parts) > 1 else "__init__"
    return 10 + _PIPELINE[name], f"pipeline.{name}"


def violations(g: dict[str, set[str]]) -> list[str]:
    bad = []
    for a, targets in g.items():
        la = layer(a)
        for b in targets:
            lb = layer(b)
            if lb[1] == la[1] and not (a.startswith("pipeline") and lb[0] != la[0]):
                continue  # inside one stage's package
            if lb[0] >= la[0]:
                bad.append(f"{a} -> {b} (layer {la} may not import layer {lb})")
    return sorted(bad)


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in g:
        if v not in index:
            visit(v)
    return out


def test_every_pipeline_module_has_a_layer():
    names = {m.split(".")[1] for m in modules() if m.startswith("pipeline.")}
    assert names <= set(_PIPELINE), f"give these modules a layer here: {sorted(names - set(_PIPELINE))}"


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_imports_point_down_the_layers():
    assert violations(graph()) == []


@pytest.mark.parametrize("a, b, why", [
    ("transforms.core.records", "transforms.dedup.near", "core imports a stage"),
    ("transforms.extract.html", "transforms.dedup.near", "a middle stage imports another"),
    ("transforms.output.write", "transforms.link", "a middle stage imports link"),
    ("pipeline.run", "pipeline.cli", "run imports the command line"),
    ("pipeline.api", "pipeline.cli", "the API imports the command line"),
    ("transforms.dedup.exact", "pipeline.config", "a transform imports pipeline/"),
])
def test_the_check_catches_an_upward_import(a, b, why):
    g = graph()
    g[a] = g[a] | {b}
    assert any(v.startswith(f"{a} -> {b}") for v in violations(g)), why


def test_the_check_catches_a_cycle():
    g = graph()
    g["transforms.core.metrics"] = g["transforms.core.metrics"] | {"transforms.core.records"}
    assert ["transforms.core.metrics", "transforms.core.records"] in cycles(g)
