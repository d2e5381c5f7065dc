"""Evaluation and training reports: one self-contained HTML page (inline SVG charts, no script, no network),
one PNG of every chart, or a folder of PNGs.

- :mod:`.document`: what a report is made of (``Report``, ``Section``, ``Chart``, ``Table``, ``Fact``), HTML, PNG
- :mod:`.charts`: the matplotlib drawings
- :mod:`.evaluation`: ``sentiment evaluate --report``
- :mod:`.training`: ``report.html`` of a model directory, ``sentiment inspect --report``

The numbers behind the charts are :mod:`sentiment_cli.curves` and the card's; matplotlib is imported only when
drawing.
"""

from __future__ import annotations

from .document import Chart, Fact, Report, Section, Table, check_target, require_matplotlib, target_kind
from .evaluation import evaluation_report
from .training import training_report

__all__ = [
    "Chart", "Fact", "Report", "Section", "Table", "check_target", "evaluation_report", "require_matplotlib",
    "target_kind", "training_report",
]  # fmt: skip
