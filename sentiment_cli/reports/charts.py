"""The charts of the reports, drawn with matplotlib from numbers computed elsewhere (:mod:`sentiment_cli.curves`,
the card): each function returns a :class:`~.document.Chart` whose ``draw`` fills a figure and whose ``data``
and ``facts`` keep the numbers, so they can be checked against what was drawn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..curves import CALIBRATION_BINS
from .document import PALETTE, Chart, Fact, _dict, _f, _m

if TYPE_CHECKING:
    from ..metrics import Metrics

MAX_CURVE_POINTS = 2_000
"""Curves with more points are thinned (evenly, ends kept) before drawing; their areas use every point."""


def _thin(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if x.size <= MAX_CURVE_POINTS:
        return x, y
    index = np.unique(np.linspace(0, x.size - 1, MAX_CURVE_POINTS).round().astype(int))
    return x[index], y[index]


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


def _numbers(value: Any) -> list[float]:
    if not isinstance(value, list):
        return []
    return [float(v) for v in value if isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v)]


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
