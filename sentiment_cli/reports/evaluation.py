"""The evaluation report: metrics (:meth:`sentiment_cli.metrics.Metrics.headline`), confusion matrix, ROC and
precision-recall curves, reliability diagram, probability histograms, per-class metrics, the most confident
errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..curves import confident_errors, one_vs_rest, pr_curves, probability_histograms, reliability, roc_curves
from .charts import confusion_chart, histogram_chart, pr_chart, reliability_chart, roc_chart
from .document import Report, Section, Table, _f

if TYPE_CHECKING:
    from ..evaluation import Evaluation

ERROR_TEXT_CHARS = 1_000
"""A listed review's text is cut after this many characters."""


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
    charted = set(one_vs_rest(classes, every=False))  # two classes: the charts show the positive one's
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
