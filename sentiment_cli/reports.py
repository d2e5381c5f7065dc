"""Evaluation and training reports: one self-contained HTML page (inline SVG charts, no script, no network),
one PNG of every chart, or a folder of PNGs.

The numbers behind each chart (curves and their areas, calibration bins, histograms) are computed here with
NumPy and scikit-learn and kept on the :class:`Chart`, so they can be checked against
:mod:`sentiment_cli.metrics`. matplotlib draws; it is imported only inside the functions that draw, through its
object-oriented ``Figure`` API (no pyplot, no GUI backend, no global state), so no other command pays for it.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .bundle import REPORT_FILE
from .errors import MissingExtra, OutputError
from .facts import card_facts
from .files import check_writable, replacing
from .metrics import ECE_BINS

if TYPE_CHECKING:
    from .bundle import Card
    from .evaluation import Evaluation
    from .metrics import Metrics

__all__ = ["REPORT_FILE", "evaluation_report", "training_report"]
INSTALL_HINT = "pip install 'sentiment-cli[report]', or from a clone: pip install '.[report]'"
CALIBRATION_BINS = ECE_BINS
"""Equal-width probability bins of the reliability diagram and its expected calibration error (the metrics')."""
HISTOGRAM_BINS = 20
LENGTH_BINS = 20
CONFIDENT_ERRORS = 20
"""How many of the most confident errors the evaluation report lists."""
ERROR_TEXT_CHARS = 1_000
"""A listed review's text is cut after this many characters."""
MAX_CURVE_POINTS = 2_000
"""Curves with more points are thinned (evenly, ends kept) before drawing; their areas use every point."""
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
        from . import __version__

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


# -- the numbers behind the evaluation charts ----------------------------------------------------------


def _thin(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if x.size <= MAX_CURVE_POINTS:
        return x, y
    index = np.unique(np.linspace(0, x.size - 1, MAX_CURVE_POINTS).round().astype(int))
    return x[index], y[index]


def _one_vs_rest(classes: Sequence[str], every: bool) -> list[int]:
    """The classes that get a curve: the positive (second) class for two (unless ``every``), every class for more."""
    return [1] if len(classes) == 2 and not every else list(range(len(classes)))


def roc_curves(
    labels: np.ndarray, probabilities: np.ndarray, classes: Sequence[str], every: bool = False
) -> list[dict[str, Any]]:
    """ROC curve and its area for each class one-vs-rest (two classes: the positive one, unless ``every``).
    ``auc`` is None (and no curve) for a class that is absent or alone in ``labels``."""
    from sklearn.metrics import auc, roc_curve

    curves = []
    for c in _one_vs_rest(classes, every):
        truth = np.asarray(labels) == c
        if truth.all() or not truth.any():
            curves.append({"class": classes[c], "index": c, "auc": None})
            continue
        fpr, tpr, thresholds = roc_curve(truth, probabilities[:, c])
        curves.append(
            {
                "class": classes[c],
                "index": c,
                "fpr": fpr,
                "tpr": tpr,
                "thresholds": thresholds,
                "auc": float(auc(fpr, tpr)),
            }
        )
    return curves


def pr_curves(
    labels: np.ndarray, probabilities: np.ndarray, classes: Sequence[str], every: bool = False
) -> list[dict[str, Any]]:
    """Precision-recall curve and average precision for each class one-vs-rest (two classes: the positive one,
    unless ``every``)."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    curves = []
    for c in _one_vs_rest(classes, every):
        truth = np.asarray(labels) == c
        if not truth.any():
            curves.append({"class": classes[c], "index": c, "ap": None, "prevalence": 0.0})
            continue
        precision, recall, _ = precision_recall_curve(truth, probabilities[:, c], drop_intermediate=True)
        curves.append(
            {
                "class": classes[c],
                "index": c,
                "precision": precision,
                "recall": recall,
                "ap": float(average_precision_score(truth, probabilities[:, c])),
                "prevalence": float(truth.mean()),
            }
        )
    return curves


def reliability(probabilities: np.ndarray, labels: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """Reliability diagram: :func:`sentiment_cli.metrics.calibration_bins` of the predicted label's probability
    (the confidence) against the share of predictions that are right, and the metrics' expected calibration
    error over the same bins."""
    from .metrics import calibration_bins, expected_calibration_error

    confidence = probabilities[np.arange(labels.size), predicted]
    correct = predicted == labels
    return {
        "bins": calibration_bins(confidence, correct, CALIBRATION_BINS),
        "ece": expected_calibration_error(confidence, correct, CALIBRATION_BINS),
        "count": int(labels.size),
    }


def probability_histograms(
    labels: np.ndarray, probabilities: np.ndarray, classes: Sequence[str], bins: int = HISTOGRAM_BINS
) -> dict[str, Any]:
    """For each true class present, the share of its reviews in each probability bin: of P(positive) for two
    classes, of the probability given to the true class for more."""
    labels = np.asarray(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    shares = {}
    for c, name in enumerate(classes):
        mine = labels == c
        if not mine.any():
            continue
        values = probabilities[mine, 1] if len(classes) == 2 else probabilities[mine, c]
        counts, _ = np.histogram(values, bins=edges)
        shares[name] = counts / mine.sum()
    return {"edges": edges, "shares": shares, "of": classes[1] if len(classes) == 2 else None}


def confident_errors(evaluation: Evaluation, limit: int = CONFIDENT_ERRORS) -> list[dict[str, Any]]:
    """The wrongly labelled reviews the model was surest of, surest first."""
    predicted = evaluation.predicted
    wrong = np.flatnonzero(evaluation.scored & (predicted != evaluation.labels))
    sure = evaluation.probabilities[wrong, predicted[wrong]]
    order = wrong[np.argsort(-sure, kind="stable")][:limit]
    return [
        {
            "source": evaluation.ids[i] if evaluation.ids and evaluation.ids[i] is not None else evaluation.sources[i],
            "true": evaluation.classes[evaluation.labels[i]],
            "predicted": evaluation.classes[predicted[i]],
            "probability": float(evaluation.probabilities[i, predicted[i]]),
            "text": evaluation.texts[i],
        }
        for i in order
    ]


# -- the evaluation report -----------------------------------------------------------------------------


def _f(value: Any, spec: str = ".4f") -> str:
    if isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value):
        return format(value, spec)
    return "n/a" if value is None else str(value)


def evaluation_report(evaluation: Evaluation, model: str = "") -> Report:
    """The evaluation report: metrics, confusion matrix, ROC and precision-recall curves, reliability diagram,
    probability histograms, per-class metrics and the most confident errors. ``model``: which model, in words
    (``model my-model``), for the subtitle."""
    metrics = evaluation.metrics
    classes = list(evaluation.classes)
    binary = len(classes) == 2
    scored = evaluation.scored
    labels, probabilities = evaluation.labels[scored], evaluation.probabilities[scored]

    every_roc = roc_curves(labels, probabilities, classes, every=True)  # each class's, for the per-class table
    every_pr = pr_curves(labels, probabilities, classes, every=True)
    charted = set(_one_vs_rest(classes, every=False))  # two classes: the charts show the positive one's
    roc = [curve for curve in every_roc if curve["index"] in charted]
    pr = [curve for curve in every_pr if curve["index"] in charted]
    calibration = reliability(probabilities, labels, evaluation.predicted[scored])
    histograms = probability_histograms(labels, probabilities, classes)

    run = evaluation.run
    rows = [(f"{row.label} ({row.of})" if row.of else row.label, _f(row.value)) for row in metrics.headline()]
    rows.append(("reviews scored", f"{metrics.n:,}"))
    if run.unreadable:
        rows.append(("not scored: no word or n-gram the model knows", f"{run.unreadable:,}"))
    if binary:
        rows.append((f"threshold (P({classes[1]}))", _f(evaluation.threshold, ".2f")))
    for reason, count in run.rows_skipped.items():
        rows.append((f"rows skipped {reason}", f"{count:,}"))
    if run.skipped:
        rows.append(("files skipped (unreadable)", f"{len(run.skipped):,}"))
    rate = run.reviews_per_second
    rows.append(("throughput", "n/a" if rate is None else f"{rate:,.0f} reviews/s"))
    for key, why in metrics.undefined.items():
        rows.append((f"{key} undefined", str(why)))

    per_class_rows = []
    auc_of = {curve["class"]: curve["auc"] for curve in every_roc}
    ap_of = {curve["class"]: curve["ap"] for curve in every_pr}
    for name, scores in metrics.per_class.items():
        per_class_rows.append(
            [
                name,
                _f(scores.precision),
                _f(scores.recall),
                _f(scores.f1),
                _f(scores.support, ","),
                _f(auc_of.get(name)),
                _f(ap_of.get(name)),
            ]
        )
    for average, scores in (("macro", metrics.macro), ("weighted", metrics.weighted)):
        if scores is not None:
            per_class_rows.append(
                [
                    f"{average} average",
                    *(_f(v) for v in (scores.precision, scores.recall, scores.f1)),
                    f"{metrics.n:,}",
                    "",
                    "",
                ]
            )

    errors = confident_errors(evaluation)
    error_rows = [
        [str(i), e["source"], e["true"], e["predicted"], _f(e["probability"], ".3f"), _cut(e["text"])]
        for i, e in enumerate(errors, 1)
    ]
    evaluated = run.evaluated or f"{run.split} split"
    subtitle = f"{run.source}, {evaluated}"
    subtitle += "" if evaluated.startswith("all ") else f", {metrics.n:,} reviews"
    if model:
        subtitle = f"{model}; {subtitle}"
    charts = [
        confusion_chart(metrics),
        roc_chart(roc, metrics, binary, evaluation.threshold),
        pr_chart(pr),
        reliability_chart(calibration),
        histogram_chart(histograms, evaluation.threshold if binary else None),
    ]
    sections = [
        Section("Metrics", "metrics", tables=[Table(["metric", "value"], [list(r) for r in rows], "metrics-table")]),
        Section("Charts", "charts", charts=charts),
        Section(
            "Per class",
            "per-class",
            tables=[
                Table(
                    ["class", "precision", "recall", "F1", "support", "ROC-AUC (one vs rest)", "average precision"],
                    per_class_rows,
                    "per-class-table",
                )
            ],
        ),
        Section(
            "The most confident errors",
            "errors",
            tables=[
                Table(["#", "source", "true", "predicted", "P(predicted)", "text"], error_rows, "errors-table", 4, 5)
            ],
            notes=[
                f"The {len(errors)} wrongly labelled reviews the model was surest of"
                + (" (none: every scored review is right)." if not errors else ", surest first.")
            ],
        ),
    ]
    summary = [(label, value) for label, value in rows]
    return Report("evaluation", "Evaluation report", subtitle, sections, summary)


def _cut(text: str, limit: int = ERROR_TEXT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def confusion_chart(metrics: Metrics) -> Chart:
    """The confusion matrix as a heat map: counts, coloured by the share of the true class (each row)."""
    classes = list(metrics.classes)
    matrix = np.asarray(metrics.confusion, dtype=np.int64)
    k = len(classes)
    rows = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, rows, out=np.zeros(matrix.shape), where=rows > 0)

    def draw(figure: Any) -> None:
        from matplotlib import colormaps
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize
        from matplotlib.patches import Rectangle

        axes = figure.add_subplot()
        cmap, norm = colormaps["Blues"], Normalize(0.0, 1.0)
        for i in range(k):
            for j in range(k):
                axes.add_patch(
                    Rectangle((j, i), 1, 1, facecolor=cmap(norm(shares[i, j])), edgecolor="white", gid=f"cell-{i}-{j}")
                )
                colour = "white" if shares[i, j] > 0.6 else "#1b1f24"
                axes.text(
                    j + 0.5,
                    i + 0.5,
                    f"{matrix[i, j]:,}\n{shares[i, j]:.0%}",
                    ha="center",
                    va="center",
                    color=colour,
                    fontsize=max(6, 11 - k),
                    gid=f"count-{i}-{j}",
                )
        axes.set_xlim(0, k)
        axes.set_ylim(k, 0)
        axes.set_xticks(np.arange(k) + 0.5, [_m(c) for c in classes], rotation=30 if k > 3 else 0)
        axes.set_yticks(np.arange(k) + 0.5, [_m(c) for c in classes])
        axes.set_xlabel("predicted")
        axes.set_ylabel("true")
        axes.grid(False)
        axes.set_aspect("equal")
        figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=axes, label="share of the true class", shrink=0.8)

    return Chart(
        "confusion",
        "Confusion matrix (rows: true class, columns: predicted)",
        draw,
        cells=k * k,
        note="Each cell: how many reviews of the row's class got the column's label, and their share of the row.",
        data={"matrix": matrix.tolist()},
    )


def roc_chart(curves: list[dict[str, Any]], metrics: Metrics, binary: bool, threshold: float | None = None) -> Chart:
    drawn = [c for c in curves if c["auc"] is not None]

    def draw(figure: Any) -> None:
        axes = figure.add_subplot()
        axes.plot([0, 1], [0, 1], linestyle="--", color="#8c959f", linewidth=1, label="chance", gid="reference")
        for k, curve in enumerate(drawn):
            x, y = _thin(curve["fpr"], curve["tpr"])
            label = f"{curve['class']}" + ("" if binary else " vs rest") + f" (AUC {curve['auc']:.4f})"
            axes.plot(
                x, y, color=PALETTE[curve["index"] % len(PALETTE)], linewidth=1.6, label=_m(label), gid=f"series-{k}"
            )
        if binary and drawn and threshold is not None:
            curve = drawn[0]
            at = int(np.searchsorted(-curve["thresholds"], -threshold, side="right")) - 1
            at = min(max(at, 0), curve["fpr"].size - 1)
            axes.plot(
                curve["fpr"][at],
                curve["tpr"][at],
                "o",
                color="#1b1f24",
                markersize=5,
                gid="operating-point",
                label=f"threshold {threshold:.2f}",
            )
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1.01)
        axes.set_xlabel("false positive rate")
        axes.set_ylabel("true positive rate")
        axes.legend(loc="lower right")

    facts = [Fact(f"{c['class']}{'' if binary else ' vs rest'}: AUC", c["auc"], f"auc:{c['class']}") for c in curves]
    if not binary:
        facts.append(Fact("macro average (the ROC-AUC of the metrics)", metrics.roc_auc, "auc:macro"))
    missing = [c["class"] for c in curves if c["auc"] is None]
    note = f"No curve for {', '.join(missing)}: the class is absent from the data, or alone." if missing else ""
    title = "ROC curve" if binary else "ROC curves, one class against the rest"
    return Chart("roc", title, draw, series=len(drawn), facts=facts, note=note, data={"curves": curves})


def pr_chart(curves: list[dict[str, Any]]) -> Chart:
    drawn = [c for c in curves if c["ap"] is not None]
    binary = len(curves) == 1

    def draw(figure: Any) -> None:
        axes = figure.add_subplot()
        for k, curve in enumerate(drawn):
            x, y = _thin(curve["recall"], curve["precision"])
            colour = PALETTE[curve["index"] % len(PALETTE)]
            axes.step(
                x,
                y,
                where="post",
                color=colour,
                linewidth=1.6,
                gid=f"series-{k}",
                label=_m(f"{curve['class']} (AP {curve['ap']:.4f})"),
            )
            axes.axhline(curve["prevalence"], color=colour, linestyle=":", linewidth=1, gid=f"reference-{k}")
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1.01)
        axes.set_xlabel("recall")
        axes.set_ylabel("precision")
        axes.legend(loc="lower left")

    facts = [Fact(f"{c['class']}: average precision", c["ap"], f"ap:{c['class']}") for c in curves]
    title = "Precision-recall curve" if binary else "Precision-recall curves, one class against the rest"
    return Chart(
        "pr",
        title,
        draw,
        series=len(drawn),
        facts=facts,
        note="Dotted: the class's share of the reviews (what guessing scores).",
        data={"curves": curves},
    )


def reliability_chart(calibration: dict[str, Any]) -> Chart:
    bins = calibration["bins"]

    def draw(figure: Any) -> None:
        axes = figure.add_subplot()
        total = max(1, calibration["count"])
        shares = axes.bar(
            [b["low"] for b in bins],
            [b["count"] / total for b in bins],
            width=[b["high"] - b["low"] for b in bins],
            align="edge",
            color="#d0d7de",
            alpha=0.6,
            label="share of reviews in the bin",
        )
        for j, bar in enumerate(shares):
            bar.set_gid(f"bin-{j}")
        axes.plot(
            [0, 1], [0, 1], linestyle="--", color="#8c959f", linewidth=1, label="perfectly calibrated", gid="reference"
        )
        axes.plot(
            [b["confidence"] for b in bins],
            [b["accuracy"] for b in bins],
            "o-",
            color=PALETTE[0],
            linewidth=1.6,
            markersize=4,
            gid="series-0",
            label=f"model (ECE {calibration['ece']:.4f})",
        )
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1.01)
        axes.set_xlabel("mean probability of the predicted label in the bin")
        axes.set_ylabel("share of predictions that are right")
        axes.legend(loc="upper left")

    return Chart(
        "reliability",
        f"Reliability diagram ({CALIBRATION_BINS} equal-width bins)",
        draw,
        series=1,
        facts=[Fact("expected calibration error", calibration["ece"], "ece")],
        note="The predicted label's probability against how often that label is right; on the dashed line the "
        "probabilities mean what they say.",
        data=calibration,
    )


def histogram_chart(histograms: dict[str, Any], threshold: float | None) -> Chart:
    shares = histograms["shares"]
    binary = histograms["of"] is not None
    classes = list(shares)

    def draw(figure: Any) -> None:
        axes = figure.add_subplot()
        edges = histograms["edges"]
        for k, name in enumerate(classes):
            axes.stairs(
                shares[name],
                edges,
                color=PALETTE[k % len(PALETTE)],
                linewidth=1.6,
                label=_m(f"true {name}"),
                gid=f"series-{k}",
            )
        if threshold is not None:
            axes.axvline(
                threshold,
                color="#1b1f24",
                linestyle="--",
                linewidth=1,
                label=f"threshold {threshold:.2f}",
                gid="threshold",
            )
        axes.set_xlim(0, 1)
        axes.set_xlabel(_m(f"P({histograms['of']})") if binary else "probability given to the true class")
        axes.set_ylabel("share of the class's reviews")
        axes.legend(loc="best")

    title = "Probability by true class" if binary else "Probability of the true class, by true class"
    return Chart("histogram", title, draw, series=len(classes), data=histograms)


# -- the training report -------------------------------------------------------------------------------


def data_summary(splits: dict[str, Any], encoded: dict[str, list[Any]], units: str) -> dict[str, Any]:
    """What the training data looked like, for the model card and the training report (no matplotlib):
    review lengths per split (words, or characters for a character model) as a histogram, and the share of
    the units the BiLSTM reads (its window of ``max_length``) that are in the vocabulary, per split."""
    from .text import UNKNOWN_ID

    unit = "words" if units == "words" else "characters"
    lengths = {
        name: np.asarray([len(t.split()) if unit == "words" else len(t) for t in split.texts], dtype=np.int64)
        for name, split in splits.items()
    }
    top = max((float(np.percentile(v, 99)) for v in lengths.values() if v.size), default=1.0)
    top = max(_nice(top), 1.0)
    edges = np.linspace(0.0, top, LENGTH_BINS + 1)
    coverage = {}
    for name, items in encoded.items():
        known = sum(sum(1 for i in item.token_ids if i > UNKNOWN_ID) for item in items)
        total = sum(len(item.token_ids) for item in items)
        coverage[name] = round(known / total, 6) if total else None
    return {
        "length_unit": unit,
        "length_edges": [round(float(e), 3) for e in edges],
        "length_counts": {name: np.histogram(v, bins=edges)[0].tolist() for name, v in lengths.items()},
        "length_longer": {name: int(np.sum(v > top)) for name, v in lengths.items()},
        "length_median": {name: float(np.median(v)) if v.size else None for name, v in lengths.items()},
        "vocabulary_coverage": coverage,
    }


def _nice(value: float) -> float:
    """``value`` rounded up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 0.0
    power = 10 ** np.floor(np.log10(value))
    return float(next(step * power for step in (1, 2, 5, 10) if step * power >= value))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _numbers(value: Any) -> list[float]:
    if not isinstance(value, list):
        return []
    return [float(v) for v in value if isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v)]


def training_report(card: Card) -> Report:
    """The training report of a model card: loss and accuracy per epoch of each branch with the kept epoch
    marked, metrics of every split, class balance, review lengths and vocabulary coverage (when the card
    recorded them), rows skipped. Card fields are shown as text, never trusted."""
    labels = list(card.labels)
    training, data, metrics = card.training, card.data, card.metrics

    charts = [
        history_chart(name, curves, training.kept(name, curves), k)
        for k, (name, curves) in enumerate(card.history.items())
    ]
    balance = {
        split: [values.per_class[name].support or 0 if name in values.per_class else 0 for name in labels]
        for split, values in metrics.items()
        if values.per_class
    }
    if balance:
        charts.append(balance_chart(balance, labels))
    summary = data.summary or {}
    if summary.get("length_counts"):
        charts.append(length_chart(summary))

    headline = next(iter(metrics.values())).headline() if metrics else []
    names = [f"{row.label} ({row.of})" if row.of else row.label for row in headline]
    metric_rows = []
    for split, values in metrics.items():
        metric_rows.append([split, _f(values.n, ","), *(_f(row.value) for row in values.headline())])
    for branch, scores in card.branches.items():
        for split, accuracy in scores.items():
            reviews = metrics[split].n if split in metrics else None
            blanks = [""] * (len(names) - 1)
            metric_rows.append([f"{split}, {branch} branch alone", _f(reviews, ","), _f(accuracy), *blanks])

    # the data's file names: the folders of the machine it was built on mean nothing to a reader
    source = " + ".join(os.path.basename(s.rstrip("/")) or s for s in str(data.source or "?").split(" + "))
    data_rows = [["source", source]]
    if "files" in data.fingerprint:
        files, size = data.fingerprint.get("files"), data.fingerprint.get("bytes")
        data_rows.append(["files", f"{_f(files, ',')} ({_f(size, ',')} bytes)"])
    for split, size in (data.splits or {}).items():
        data_rows.append([f"{split} reviews in the data", _f(size, ",")])
    data_rows.append(["training reviews (after the validation split)", _f(training.train_reviews, ",")])
    data_rows.append(["validation reviews", _f(training.validation_reviews, ",")])
    data_rows.append(["rows read", _f(data.rows_read, ",")])
    skipped = data.rows_skipped or {}
    data_rows += [[f"rows skipped {reason}", _f(count, ",")] for reason, count in skipped.items()]
    if not skipped:
        data_rows.append(["rows skipped", "0"])
    if data.files_skipped:
        data_rows.append(["files skipped (unreadable)", _f(data.files_skipped, ",")])
    for split, share in _dict(summary.get("vocabulary_coverage")).items():
        data_rows.append([f"vocabulary coverage, {split}", "n/a" if share is None else f"{share:.2%}"])
    for split, median in _dict(summary.get("length_median")).items():
        data_rows.append([f"median review length, {split}", f"{_f(median, ',.0f')} {summary.get('length_unit')}"])
    notes = []
    if not summary:
        notes.append(
            "Review lengths and vocabulary coverage were not recorded in this model's card (trained before "
            "reports existed); class balance comes from the metrics' supports."
        )

    model = card.model
    model_rows = [[fact, value] for fact, value in card_facts(card)]
    units = " / ".join(_f(v, ",") for v in (model.embedding_dim, model.lstm_units, model.dense_units))
    model_rows.append(["embedding / LSTM / dense units", units])
    if card.command:
        model_rows.append(["command", " ".join(card.command)])

    metric_headers = ["split", "reviews", *names]
    sections = [
        Section("Metrics", "metrics", tables=[Table(metric_headers, metric_rows, "metrics-table")]),
        Section("Charts", "charts", charts=charts),
        Section("Data", "data", tables=[Table(["fact", "value"], data_rows, "data-table", 2)], notes=notes),
        Section("Model", "model", tables=[Table(["fact", "value"], model_rows, "model-table", 2)]),
    ]
    name = card.name or "model"
    facts = dict(card_facts(card))
    headline_facts = [("architecture", facts["architecture"]), ("classes", ", ".join(labels))]
    for split in ("train", "validation", "test"):
        if split in metrics:
            headline_facts.append((f"{split} accuracy", _f(metrics[split].accuracy)))
    if "validation" in metrics:
        headline_facts.append(("validation log loss", _f(metrics["validation"].log_loss)))
    headline_facts += [(row[0], row[1]) for row in data_rows[:1]]
    subtitle = f"{card.description or 'sentiment model'}; created {card.created or '?'}"
    return Report("training", f"Training report: {name}", subtitle, sections, headline_facts)


def history_chart(name: str, history: dict[str, Any], kept: int | None, index: int) -> Chart:
    """Loss and accuracy per epoch, training and validation, with the kept epoch
    (:meth:`sentiment_cli.bundle.TrainingRecord.kept`) marked."""
    curves = {key: _numbers(history.get(key)) for key in ("loss", "val_loss", "accuracy", "val_accuracy")}
    curves = {key: values for key, values in curves.items() if values}
    labels = {"loss": "training", "val_loss": "validation", "accuracy": "training", "val_accuracy": "validation"}

    def draw(figure: Any) -> None:
        loss_axes, accuracy_axes = figure.subplots(1, 2)
        for k, (key, values) in enumerate(curves.items()):
            axes = loss_axes if "loss" in key else accuracy_axes
            colour = PALETTE[0] if key.startswith("val_") is False else PALETTE[1]
            epochs = np.arange(1, len(values) + 1)
            axes.plot(
                epochs, values, "o-", color=colour, linewidth=1.6, markersize=4, label=labels[key], gid=f"series-{k}"
            )
        for axes, what in ((loss_axes, "loss"), (accuracy_axes, "accuracy")):
            if kept is not None:
                axes.axvline(
                    kept,
                    color="#2ca02c",
                    linestyle="--",
                    linewidth=1.2,
                    label=f"kept: epoch {kept}",
                    gid=f"kept-{what}",
                )
            axes.set_xlabel("epoch")
            axes.set_ylabel(what)
            axes.xaxis.get_major_locator().set_params(integer=True)
            axes.legend()

    return Chart(
        f"history-{index}",
        f"Training history: {name}",
        draw,
        series=len(curves),
        facts=[Fact("kept epoch", None if kept is None else float(kept), "kept", 0)],
        size=(10.0, 3.6),
        wide=True,
        data={"curves": curves, "kept": kept, "branch": name},
    )


def balance_chart(balance: dict[str, list[Any]], labels: Sequence[str]) -> Chart:
    """Each class's share of each split, as grouped bars (one colour per split: one series each)."""
    counts = {split: [int(v) if isinstance(v, int | float) else 0 for v in values] for split, values in balance.items()}

    def draw(figure: Any) -> None:
        axes = figure.add_subplot()
        width = 0.8 / max(1, len(counts))
        x = np.arange(len(labels))
        for k, (split, values) in enumerate(counts.items()):
            shares = np.asarray(values, dtype=float) / max(1, sum(values))
            bars = axes.bar(
                x + k * width - 0.4 + width / 2, shares, width, color=PALETTE[k % len(PALETTE)], label=_m(split)
            )
            for j, bar in enumerate(bars):
                bar.set_gid(f"series-{k}-{j}")
        axes.set_xticks(x, [_m(name) for name in labels], rotation=30 if len(labels) > 3 else 0)
        axes.set_ylabel("share of the split's reviews")
        top = max((v / max(1, sum(values)) for values in counts.values() for v in values), default=1.0)
        axes.set_ylim(0, top * 1.25 or 1.0)  # headroom above the bars, where the legend goes: it covers none
        axes.legend(loc="upper center", ncol=max(1, len(counts)))

    facts = [
        Fact(f"{split}: share of {labels[-1]}", v[-1] / sum(v) if sum(v) else None, f"share:{split}", 3)
        for split, v in counts.items()
    ]
    return Chart("balance", "Class balance per split", draw, series=len(counts), facts=facts, data=counts)


def length_chart(summary: dict[str, Any]) -> Chart:
    edges = _numbers(summary.get("length_edges"))
    counts = {split: _numbers(values) for split, values in _dict(summary.get("length_counts")).items()}
    counts = {split: values for split, values in counts.items() if len(values) == len(edges) - 1 and sum(values)}
    unit = str(summary.get("length_unit", "words"))
    longer = _dict(summary.get("length_longer"))

    def draw(figure: Any) -> None:
        axes = figure.add_subplot()
        for k, (split, values) in enumerate(counts.items()):
            share = np.asarray(values) / (sum(values) + float(longer.get(split) or 0))
            axes.stairs(
                share, edges, color=PALETTE[k % len(PALETTE)], linewidth=1.6, label=_m(split), gid=f"series-{k}"
            )
        axes.set_xlabel(_m(f"review length ({unit})"))
        axes.set_ylabel("share of the split's reviews")
        axes.legend()

    over = ", ".join(f"{split} {_f(n, ',')}" for split, n in longer.items() if n)
    note = f"Longer than {edges[-1]:,.0f} {unit} (not drawn): {over}." if over else ""
    return Chart("lengths", f"Review length ({unit})", draw, series=len(counts), note=note, data=summary)
