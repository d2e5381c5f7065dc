"""The architecture as data, checked on the import graph (as import-linter's layer contracts do): which room
may import which, no import circle, only cli/ imports Typer and Rich. docs/architecture.md draws the same
layers; change both together."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "sentiment_cli"

LAYERS: list[tuple[str, set[str]]] = [
    ("applications", {"cli", "serving", "__main__"}),
    ("engines", {"api", "arrow", "spark"}),
    ("recipe", {"training"}),
    ("results", {"reports", "evaluation", "explain", "inspection", "facts", "model_report", "curves"}),
    ("core", {"runtime", "bundle", "data", "reviews", "model", "download"}),
    ("readers", {"tables", "textio", "trees", "text", "labels", "files", "checkpoint", "embeddings",
                 "_tensorflow", "extras"}),
    ("leaves", {"config", "errors", "metrics", "_quiet", "formats", "records"}),
]
"""Top to bottom: a module imports modules of its own layer or of layers below (by its top-level name in the
package: ``training.fitting`` is ``training``)."""

EXCEPTIONS: dict[tuple[str, str], str] = {}
"""Edges that break the layers on purpose, each with why. The package root (``sentiment_cli``, for
``__version__`` and the lazy exports) may be imported from anywhere."""

CLI_LAYERS: list[tuple[str, set[str]]] = [
    ("commands", {"cli", "cli.predict", "cli.train", "cli.evaluate", "cli.inspect", "cli.score", "cli.serve",
                  "cli.spark_submit"}),
    ("steps", {"cli.options", "cli.writers", "cli.errors"}),
    ("tables", {"cli.render"}),
    ("console", {"cli.console"}),
]
"""Within cli/, top to bottom: the commands; their shared steps, the prediction writers and the error boundary;
the Rich tables; the consoles (which import nothing of cli/, so that everything can say something)."""

ONLY_IN_CLI = ("typer", "rich", "click")
ONLY_IN_SERVING = ("starlette", "uvicorn")


def _imports() -> dict[str, set[str]]:
    """Every module's imports of the package (at the top, in functions, for types only): module -> modules."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        package = parts[:-1]  # what a relative import starts from, for a module and a package's __init__ alike
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = [*base, *(node.module.split(".") if node.module else [])]
                for alias in node.names:
                    candidate = [*target, alias.name]
                    is_module = (PACKAGE.joinpath(*candidate).with_suffix(".py")).exists() or PACKAGE.joinpath(
                        *candidate
                    ).is_dir()
                    found.add(".".join(candidate if is_module else target))
            elif isinstance(node, ast.ImportFrom | ast.Import):
                modules = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                for module in modules:
                    if module and module.split(".")[0] == "sentiment_cli":
                        found.add(".".join(module.split(".")[1:]))
        graph[name] = found - {name}
    return graph


def _third_party(prefixes: tuple[str, ...]) -> dict[str, set[str]]:
    users: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else (
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            )  # fmt: skip
            for module in modules:
                if module.split(".")[0] in prefixes:
                    users.setdefault(name, set()).add(module.split(".")[0])
    return users


def _layer(module: str) -> int:
    top = module.split(".")[0]
    for rank, (_, members) in enumerate(LAYERS):
        if top in members:
            return rank
    raise AssertionError(f"sentiment_cli.{module} is in no layer: add it to LAYERS (and docs/architecture.md)")


def test_every_import_runs_down_the_layers():
    wrong = []
    for module, targets in _imports().items():
        if not module:
            continue  # the package root: lazy exports of the API
        for target in targets:
            if target and _layer(target) < _layer(module) and (module, target) not in EXCEPTIONS:
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports up the layers: " + ", ".join(sorted(wrong))


def test_every_import_within_cli_runs_down_its_layers():
    ranks = {module: rank for rank, (_, members) in enumerate(CLI_LAYERS) for module in members}
    graph = {m: t for m, t in _imports().items() if m.split(".")[0] == "cli"}
    unplaced = sorted(set(graph) - set(ranks))
    assert not unplaced, f"cli modules in no layer of CLI_LAYERS (and docs/architecture.md): {unplaced}"
    wrong = [f"{m} -> {t}" for m, targets in graph.items() for t in targets if t in ranks and ranks[t] < ranks[m]]
    assert not wrong, "imports up the cli layers: " + ", ".join(sorted(wrong))


def test_no_import_circle():
    graph = {m: {t for t in targets if t} for m, targets in _imports().items() if m}  # the root is exempt
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            raise AssertionError("import circle: " + " -> ".join(cycle))


def test_only_the_applications_import_the_terminal_and_server_libraries():
    terminal = {m for m in _third_party(ONLY_IN_CLI) if m.split(".")[0] != "cli"}
    assert not terminal, f"Typer/Rich imported outside cli/: {sorted(terminal)}"
    server = {m for m in _third_party(ONLY_IN_SERVING) if m.split(".")[0] not in ("serving", "cli")}
    assert not server, f"the server imported outside serving/: {sorted(server)}"


def test_the_exceptions_are_still_needed():
    graph = _imports()
    stale = [edge for edge in EXCEPTIONS if edge[1] not in graph.get(edge[0], set())]
    assert not stale, f"exceptions no longer in the code (remove them): {stale}"
