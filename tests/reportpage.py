"""What the tests read in an HTML report: its charts (data-* attributes), the facts beside them, its tables, and
any script or external reference (a report must have none). Shared by the report tests of every layer."""

from __future__ import annotations

from html.parser import HTMLParser

EVALUATION_CHARTS = {"confusion", "roc", "pr", "reliability", "histogram"}


class ReportPage(HTMLParser):
    """The report's charts (data-* attributes), facts beside them, tables and any script or external reference."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, dict[str, str]] = {}
        self.facts: dict[str, float | None] = {}
        self.ids: list[str] = []
        self.scripts = 0
        self.external: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            if key in a and not a[key].startswith(("#", "data:")):
                self.external.append(a[key])
        if tag == "figure" and "data-chart" in a:
            self.charts[a["data-chart"]] = a
        if tag == "li" and "data-key" in a:
            self.facts[a["data-key"]] = float(a["data-value"]) if a["data-value"] else None
        if tag == "table":
            self._table = a.get("id", "")
            self.tables[self._table] = []
        if tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        if tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> ReportPage:
    page = ReportPage()
    page.feed(html)
    return page
