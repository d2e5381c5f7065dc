"""The documentation's contracts: each row of docs/behaviour.md's "What happens when…" table names the test
that checks it; README.md stays short and names the commands .ci/run runs; every relative link of README.md
and docs/ leads to a file; docs/cli.md is the commands' real ``--help``."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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
