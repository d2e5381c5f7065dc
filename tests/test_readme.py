"""The README's "What happens when…" table names, for each case, the test that checks it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_case_in_the_readme_table_has_its_test():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What happens when", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "`test_" in line]
    named = [re.search(r"`(test_\w+)`\s*\|\s*$", row).group(1) for row in rows]
    assert len(named) >= 25
    defined = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        defined |= set(re.findall(r"^def (test_\w+)\(", path.read_text(encoding="utf-8"), re.MULTILINE))
    assert [name for name in named if name not in defined] == []
