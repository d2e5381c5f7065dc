"""What a report is made of (:class:`Report`, :class:`Section`, :class:`Chart`, :class:`Table`, :class:`Fact`)
and how it is written: one self-contained HTML page (inline SVG charts, no script, no network), one PNG of
every chart, or a folder of PNGs.

matplotlib draws; it is imported only inside the functions that draw, through its object-oriented ``Figure``
API (no pyplot, no GUI backend, no global state), so no other command pays for it.

Every chart in the HTML is a ``<figure data-chart=NAME data-series=N data-cells=N>``; inside its SVG each
drawn series is an element with the id ``NAME-series-K`` and each heat-map cell ``NAME-cell-I-J``, so a
browser can count what was drawn against what was meant.
"""

from __future__ import annotations

import contextlib
import html
import io
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MissingExtra, OutputError
from ..files import check_writable, replacing

INSTALL_HINT = "pip install 'sentiment-cli[report]', or from a clone: pip install '.[report]'"
HTML_SUFFIXES = (".html", ".htm")
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")


def require_matplotlib() -> None:
    """Raise :class:`MissingExtra` (one line, with the install command) unless matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingExtra("reports need matplotlib, which is not installed", INSTALL_HINT) from None


def target_kind(path: Path) -> str:
    """``html``, ``png`` or ``folder`` (an existing directory, or a path without a suffix); ValueError for
    another suffix (a wrong argument, not a place that cannot be written)."""
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix == ".png":
        return "png"
    if path.is_dir() or not suffix:
        return "folder"
    raise ValueError(f"{path}: a report is an .html file, a .png file or a folder")


def check_target(path: Path) -> str:
    """:func:`target_kind`, after checking the place can be written (before any long work)."""
    kind = target_kind(path)
    check_writable(path, folder=kind == "folder")
    return kind


# -- what a report is made of --------------------------------------------------------------------------


@dataclass
class Fact:
    """A number shown beside a chart (an area, an error), with what it is about."""

    label: str
    value: float | None
    key: str
    digits: int = 4

    def text(self) -> str:
        return f"{self.label}: {'n/a' if self.value is None else f'{self.value:.{self.digits}f}'}"


@dataclass
class Chart:
    name: str
    """Stable id (``confusion``, ``roc``...): the HTML element's id and the PNG's file name."""
    title: str
    draw: Callable[[Any], None]
    """Draws into a matplotlib ``Figure`` or ``SubFigure``."""
    series: int = 0
    """Data series drawn (lines, histograms, bar groups), reference lines not counted."""
    cells: int = 0
    """Heat-map cells drawn."""
    facts: list[Fact] = field(default_factory=list)
    note: str = ""
    size: tuple[float, float] = (5.4, 4.2)
    wide: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    """The numbers drawn (curves, bins, counts)."""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    name: str = ""
    numeric_from: int = 1
    """Columns from this index on are right-aligned numbers..."""
    text_column: int | None = None
    """...except this one: long text, wrapped."""

    def cell_class(self, i: int) -> str:
        if i == self.text_column:
            return ' class="text"'
        return ' class="num"' if i >= self.numeric_from else ""


@dataclass
class Section:
    heading: str
    name: str
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    kind: str
    """``evaluation`` or ``training``."""
    title: str
    subtitle: str
    sections: list[Section]
    summary: list[tuple[str, str]] = field(default_factory=list)
    """The headline numbers, for the text panel of a single PNG."""

    @property
    def charts(self) -> list[Chart]:
        return [chart for section in self.sections for chart in section.charts]

    def html(self) -> str:
        """The whole report as one HTML page: inline CSS and SVG, no script, nothing fetched."""
        require_matplotlib()
        body = []
        for section in self.sections:
            parts = [f'<section id="{_e(section.name)}">', f"<h2>{_e(section.heading)}</h2>"]
            parts += [f'<p class="note">{_e(note)}</p>' for note in section.notes]
            parts += [_html_table(table) for table in section.tables]
            if section.charts:
                parts.append('<div class="charts">')
                parts += [_html_chart(chart) for chart in section.charts]
                parts.append("</div>")
            parts.append("</section>")
            body.append("\n".join(parts))
        from .. import __version__

        return _PAGE.format(
            title=_e(self.title),
            subtitle=_e(self.subtitle),
            kind=_e(self.kind),
            version=_e(__version__),
            created=_e(datetime.now(UTC).isoformat(timespec="seconds")),
            style=_STYLE,
            body="\n".join(body),
        )

    def png(self) -> bytes:
        """Every chart on one image, after a panel of the headline numbers."""
        require_matplotlib()
        with _style():
            from matplotlib.figure import Figure

            cells: list[Any] = [None, *self.charts]  # None: the text panel
            layout: list[list[Any]] = []
            row: list[Any] = []
            for item in cells:
                if item is not None and item.wide:
                    if row:
                        layout.append(row)
                    layout.append([item])
                    row = []
                    continue
                row.append(item)
                if len(row) == 2:
                    layout.append(row)
                    row = []
            if row:
                layout.append(row)
            summary = 0.8 + 0.16 * (len(self.summary[:14]) + 2)  # its lines, not a chart's height: no empty band
            heights = [max((c.size[1] if c is not None else summary) for c in line) for line in layout]
            figure = Figure(figsize=(11.0, sum(heights)), layout="constrained")
            rows = figure.subfigures(len(layout), 1, height_ratios=heights, squeeze=False)[:, 0]
            for line, holder in zip(layout, rows, strict=True):
                parts = holder.subfigures(1, len(line), squeeze=False)[0]
                for item, part in zip(line, parts, strict=True):
                    if item is None:
                        self._draw_summary(part)
                    else:
                        part.suptitle(_m(item.title), fontsize=11, fontweight="bold")
                        item.draw(part)
            return _figure_bytes(figure, "png")

    def _draw_summary(self, figure: Any) -> None:
        figure.suptitle(_m(self.title), fontsize=12, fontweight="bold")
        axes = figure.add_subplot()
        axes.set_axis_off()
        lines = [_m(self.subtitle), ""] + [_m(f"{label}: {value}") for label, value in self.summary[:14]]
        axes.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", family="monospace", fontsize=9, wrap=True)

    def write(self, path: str | os.PathLike[str]) -> list[Path]:
        """Write the report as ``path`` says: ``.html``, ``.png``, or a folder of one PNG per chart (created if
        need be). Each file is written beside its name and renamed into place. Returns the files written."""
        path = Path(path)
        kind = check_target(path)
        if kind == "html":
            return [_replace(path, self.html().encode("utf-8"))]
        if kind == "png":
            return [_replace(path, self.png())]
        try:
            path.mkdir(exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create {path} ({exc.strerror or exc})") from None
        return [_replace(path / f"{chart.name}.png", chart_bytes(chart, "png")) for chart in self.charts]


def chart_bytes(chart: Chart, fmt: str) -> bytes:
    """One chart on its own figure, as ``svg`` or ``png`` bytes."""
    require_matplotlib()
    with _style():
        from matplotlib.figure import Figure

        figure = Figure(figsize=chart.size, layout="constrained")
        if fmt == "png":
            figure.suptitle(_m(chart.title), fontsize=11, fontweight="bold")
        chart.draw(figure)
        return _figure_bytes(figure, fmt)


def _figure_bytes(figure: Any, fmt: str) -> bytes:
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    figure.savefig(buffer, format=fmt, dpi=110 if fmt == "png" else None, metadata=metadata)
    return buffer.getvalue()


@contextlib.contextmanager
def _style() -> Any:
    import matplotlib

    settings = {
        "svg.fonttype": "path",  # glyphs as paths: the page needs no font
        "svg.hashsalt": "sentiment-cli",  # the same charts give the same SVG
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "legend.fontsize": 8,
        "legend.frameon": False,
    }
    # matplotlib's own warnings (a layout it gives up on for a very long class name, a glyph its font lacks)
    # would reach the user's stderr as Python warnings naming this file: the chart is drawn as well as it can be
    with matplotlib.rc_context(settings), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def _replace(path: Path, data: bytes) -> Path:
    with replacing(path) as temporary:
        temporary.write_bytes(data)
    return path


# -- HTML ----------------------------------------------------------------------------------------------

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _e(value: object) -> str:
    """User text for HTML: escaped (quotes too), control characters replaced."""
    return html.escape(_CONTROL.sub("\ufffd", str(value)), quote=True)


def _m(value: object) -> str:
    """User text for matplotlib: ``$`` would start mathtext."""
    return _CONTROL.sub("\ufffd", str(value)).replace("$", r"\$")


def _html_table(table: Table) -> str:
    head = "".join(f"<th{table.cell_class(i)}>{_e(h)}</th>" for i, h in enumerate(table.headers))
    rows = []
    for row in table.rows:
        cells = "".join(f"<td{table.cell_class(i)}>{_e(cell)}</td>" for i, cell in enumerate(row))
        rows.append(f"<tr>{cells}</tr>")
    name = f' id="{_e(table.name)}"' if table.name else ""
    return f"<table{name}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _html_chart(chart: Chart) -> str:
    svg = _scoped_svg(chart_bytes(chart, "svg").decode("utf-8"), chart.name)
    facts = "".join(
        f'<li data-key="{_e(f.key)}" data-value="{"" if f.value is None else repr(float(f.value))}">{_e(f.text())}</li>'
        for f in chart.facts
    )
    parts = [
        f'<figure class="chart{" wide" if chart.wide else ""}" id="chart-{_e(chart.name)}" '
        f'data-chart="{_e(chart.name)}" data-series="{chart.series}" data-cells="{chart.cells}">',
        f"<figcaption>{_e(chart.title)}</figcaption>",
        svg,
    ]
    if facts:
        parts.append(f'<ul class="facts">{facts}</ul>')
    if chart.note:
        parts.append(f'<p class="note">{_e(chart.note)}</p>')
    parts.append("</figure>")
    return "\n".join(parts)


def _scoped_svg(svg: str, prefix: str) -> str:
    """matplotlib's SVG without its XML prolog, every id (and reference to one) prefixed with the chart's
    name, so several charts on one page never share an id."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m[1]}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m[1]})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m[1]}"', svg)
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 role="img"', svg, count=1)


_STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0 auto;
  max-width: 1180px; padding: 1.5rem; color: #1b1f24; background: #fff; line-height: 1.45; }
h1 { font-size: 1.5rem; margin: 0 0 .2rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .6rem;
  border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
.subtitle, .note, footer { color: #57606a; font-size: .9rem; }
table { border-collapse: collapse; margin: .4rem 0 1rem; font-size: .9rem; }
th, td { border-bottom: 1px solid #eaeef2; padding: .25rem .7rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 1rem; }
figure.chart { margin: 0; border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem; }
figure.chart.wide { grid-column: 1 / -1; }
figure.chart svg { width: 100%; height: auto; display: block; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
ul.facts { margin: .3rem 0 0; padding-left: 1.2rem; font-size: .9rem; font-variant-numeric: tabular-nums; }
#errors td.text { max-width: 560px; white-space: pre-wrap; overflow-wrap: anywhere; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="sentiment-cli {version}">
<link rel="icon" href="data:,">
<title>{title}</title>
<style>{style}</style>
</head>
<body data-report="{kind}">
<header><h1>{title}</h1><p class="subtitle">{subtitle}</p></header>
{body}
<footer><p>Written by sentiment-cli {version} on {created}. Self-contained: no script, nothing fetched.</p></footer>
</body>
</html>
"""


def _f(value: Any, spec: str = ".4f") -> str:
    if isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value):
        return format(value, spec)
    return "n/a" if value is None else str(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
