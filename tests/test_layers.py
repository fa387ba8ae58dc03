"""The house by layers: no import circle, small classes and functions, a short top level, and
a README whose module table and "where to change what" name the files as they are."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "assistant"
MAX_CLASS_LINES = 300
MAX_FUNCTION_LINES = 60
LAYERS = ("formats", "text", "engine", "loader", "speech", "store", "home", "cli")


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom, known: set[str]) -> set[str]:
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join(package + ([base] if base else []))
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    out = set()
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module and not module.startswith(name + "."):
            out.add(name)
    return out


def import_graph() -> dict[str, set[str]]:
    """Every module's imports of other ``assistant`` modules, wherever they are written:
    at the top, inside functions, under ``TYPE_CHECKING`` (each states a dependency)."""
    mods = modules()
    known = set(mods)
    graph: dict[str, set[str]] = {}
    for module, path in mods.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                deps |= _targets(module, path, node, known)
        graph[module] = deps
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_counting_every_import():
    graph = import_graph()
    assert len(graph) > 80 and sum(map(len, graph.values())) > 200, "the scan sees the package"
    assert circles(graph) == []


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_at_most_ten_modules_at_the_top_and_every_layer_says_what_it_may_import():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 10, top
    for layer in LAYERS:
        doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text())) or ""
        first = doc.split("\n\n")[0]
        assert "import" in first and len(first.splitlines()) <= 3, f"{layer}: {first!r}"


def test_no_class_over_300_lines_and_no_function_over_60():
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1 if hasattr(node, "lineno") else 0
            if isinstance(node, ast.ClassDef) and lines > MAX_CLASS_LINES:
                too_long.append(f"{path.relative_to(ROOT)}: class {node.name}, {lines} lines")
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and lines > MAX_FUNCTION_LINES:
                too_long.append(f"{path.relative_to(ROOT)}: {node.name}(), {lines} lines")
    assert too_long == []


def _readme_table(heading: str) -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    start = text.index(heading)
    rows = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
        elif rows:
            break
    return rows[1:]  # after the |---| line


def _named(cell: str) -> list[Path]:
    """The paths a table cell names: `assistant/x/y.py`, and bare `z.py` beside the one before."""
    out: list[Path] = []
    for name in re.findall(r"`([^`]+)`", cell):
        if name.startswith("assistant/"):
            out.append(ROOT / name)
        elif re.fullmatch(r"[a-z_]+\.py", name) and out:
            out.append(out[-1].parent / name)
    return out


def test_the_readme_module_table_names_every_module_and_nothing_else():
    named: set[Path] = set()
    for row in _readme_table("| module | its one job |"):
        for path in _named(row[0]):
            assert path.exists(), f"the README names {path.relative_to(ROOT)}, which does not exist"
            named.add(path)
    folders = {p for p in named if p.is_dir()}
    missing = [
        str(p.relative_to(ROOT))
        for p in sorted(PACKAGE.rglob("*.py"))
        if p.name not in ("__init__.py", "__main__.py")
        and p not in named
        and not any(folder in p.parents for folder in folders)
    ]
    assert missing == [], f"modules the README's table leaves out: {missing}"


def test_the_layer_table_and_where_to_change_what_name_real_files():
    layers = [p for row in _readme_table("| folder | layer |") for p in _named(row[0])]
    assert {p.name for p in layers if p.is_dir()} >= set(LAYERS)
    for row in _readme_table("| folder | layer |") + _readme_table("| to change | touch |"):
        for cell in row:
            for path in _named(cell):
                assert path.exists(), f"the README names {path.relative_to(ROOT)}, which does not exist"
