"""The documentation's contracts: each row of docs/behaviour.md's "What happens when…" table names the test
that checks it; README.md stays short and names the commands .ci/run runs; every relative link of README.md
and docs/ leads to a file; docs/cli.md is the commands' real ``--help``."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BEHAVIOUR = ROOT / "docs" / "behaviour.md"


def _case_rows() -> list[str]:
    text = BEHAVIOUR.read_text(encoding="utf-8")
    section = text.split("## What happens when", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| input |")]


def _defined_tests() -> set[str]:
    defined = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        defined |= set(re.findall(r"^\s*def (test_\w+)\(", path.read_text(encoding="utf-8"), re.MULTILINE))
    return defined


def test_every_case_in_the_behaviour_table_has_its_test():
    rows = [row for row in _case_rows() if not row.startswith("| --- |")]
    assert len(rows) >= 25
    last_cells = [row.rstrip().removesuffix("|").rsplit("|", 1)[1] for row in rows]
    assert [row for row, cell in zip(rows, last_cells, strict=True) if not re.search(r"`test_\w+`", cell)] == []
    named = [name for cell in last_cells for name in re.findall(r"`(test_\w+)`", cell)]
    defined = _defined_tests()
    assert [name for name in named if name not in defined] == []


def _generator():
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate_cli", ROOT / "docs" / "generate_cli.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cli_page_is_the_commands_help():
    generator = _generator()
    page = generator.render()
    assert "## `sentiment train`" in page and "--data-sources" in page and "--tree-nodes" in page
    assert [title for title in re.findall(r"^## `sentiment (\w+)`", page, re.MULTILINE)] == list(generator.COMMANDS)
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == page, "run: python docs/generate_cli.py"


def test_the_readme_is_short_and_keeps_no_behaviour_rows():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 300
    # Rows added to the README's old table on another branch belong in docs/behaviour.md, where they are checked.
    assert "## What happens when" not in readme
    assert not [line for line in readme.splitlines() if re.search(r"\|\s*`test_\w+`[^|]*\|\s*$", line)]


def test_the_readme_names_the_commands_ci_runs():
    """.ci/run runs the README's commands: each command after a "== README" step is in "The two commands"."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The two commands", 1)[1].split("\n## ", 1)[0]
    steps = (ROOT / ".ci" / "run").read_text(encoding="utf-8").split('echo "== ')[1:]
    commands = [step.splitlines()[1] for step in steps if step.startswith("README")]
    assert len(commands) == 2
    lines = section.splitlines()
    shown = [c for c in commands if any(line == c or line.endswith(f" && {c}") for line in lines)]
    assert shown == commands


def _links(path: Path) -> list[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code holds no links
    return re.findall(r"\]\(([^)\s]+)\)", text)


def test_every_relative_link_leads_to_a_file():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    links = [(page, target) for page in pages for target in _links(page) if "://" not in target]
    assert len(links) >= 20
    # Anchors are not checked, so none is used: a link names a file (a page, an image).
    assert [(page.name, target) for page, target in links if "#" in target or target.startswith("mailto:")] == []
    missing = [(page.name, target) for page, target in links if not (page.parent / target).resolve().exists()]
    assert missing == []
    assert {target for page, target in links if page.name == "README.md"} >= {
        f"docs/{name}" for name in ("predict.md", "train.md", "results.md", "behaviour.md", "cli.md")
    }
