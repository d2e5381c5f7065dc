"""Every Rich table and chart the commands print, built from result objects (no command logic here).

User-supplied text (review text, file names, card fields, layer names) goes through ``output.plain`` (or
``output.cell``, on one line): never read as markup, control characters shown escaped. The consoles read no
markup at all, so a string that reaches Rich another way is shown as written too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..facts import card_facts
from . import output

if TYPE_CHECKING:
    from rich.table import Table

    from ..bundle import Card
    from ..evaluation import EvaluationResult
    from ..metrics import Metrics
    from ..model_report import LayerInfo, ModelReport


# -- evaluate ------------------------------------------------------------------------------------------


def _value(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def evaluation_table(result: EvaluationResult) -> Table:
    from rich.table import Table

    metrics, run = result.metrics, result.run
    table = Table(show_header=False)
    table.add_column("metric", style="bold", no_wrap=True)
    table.add_column("value", justify="right", overflow="fold")
    evaluated = run.evaluated or f"{run.split} split"
    table.add_row("data", output.cell(f"{run.source}, {evaluated}"))
    for row in metrics.headline():
        table.add_row(row.label, _value(row.value))
    table.add_row("reviews", f"{metrics.n:,}")
    if metrics.binary:
        (tn, fp), (fn, tp) = metrics.confusion
        table.add_row("true negative / false positive", f"{tn:,} / {fp:,}")
        table.add_row("false negative / true positive", f"{fn:,} / {tp:,}")
        table.add_row("threshold", f"{result.threshold:.2f}")
    for reason, count in run.rows_skipped.items():
        table.add_row(output.cell(f"rows skipped {reason}"), f"{count:,}")
    if run.unreadable:
        table.add_row("not scored: no word or n-gram the model knows", f"{run.unreadable:,}")
    rate = run.reviews_per_second
    table.add_row("throughput", "n/a" if rate is None else f"{rate:,.0f} reviews/s")
    for key, why in metrics.undefined.items():
        table.add_row(f"{key} undefined", output.plain(why))
    return table


def per_class_table(metrics: Metrics) -> Table:
    from rich.table import Table

    table = Table(title="Per class", header_style="bold")
    table.add_column("class", no_wrap=True)
    for column in ("precision", "recall", "F1", "support"):
        table.add_column(column, justify="right")
    for name, scores in metrics.per_class.items():
        table.add_row(
            output.cell(name),
            *(f"{v:.4f}" for v in (scores.precision, scores.recall, scores.f1)),
            f"{scores.support:,}",
        )
    table.add_section()
    for average, scores in (("macro", metrics.macro), ("weighted", metrics.weighted)):
        if scores is not None:
            cells = [f"{v:.4f}" for v in (scores.precision, scores.recall, scores.f1)]
            table.add_row(f"{average} average", *cells, f"{metrics.n:,}")
    return table


def confusion_table(metrics: Metrics) -> Table:
    from rich.table import Table

    table = Table(title="Confusion matrix (rows true, columns predicted)", header_style="bold")
    table.add_column("true \\ predicted", no_wrap=True)
    for name in metrics.classes:
        table.add_column(output.cell(name), justify="right")
    for name, row in zip(metrics.classes, metrics.confusion, strict=True):
        table.add_row(output.cell(name), *(f"{v:,}" for v in row))
    return table


# -- inspect -------------------------------------------------------------------------------------------


FORMULA_MIN_WIDTH = 24
"""Narrowest the formula column may be before ``inspect`` stacks each layer's facts instead."""


def layers_table(report: ModelReport, expand: bool = False, width: int | None = None) -> Table:
    """The layer table; on a console narrower than its columns need (``width``), each layer's facts stacked
    under its name, one to a line, so that no number is ever folded."""
    from rich.table import Table

    per = "per token" if report.sequence_length == 1 else f"per review of {report.sequence_length} tokens"
    title = output.cell(f"{report.name}  ({report.source})")
    if width is not None and width < _columns_width(report):
        return _stacked_layers(report, expand, title, per)
    table = Table(title=title, caption=f"mult-adds: {per}", header_style="bold")
    table.add_column("layer (type)", no_wrap=True)
    table.add_column("output shape", overflow="fold")
    table.add_column("params", justify="right", no_wrap=True)
    table.add_column("how the count arises", overflow="fold", ratio=3)
    table.add_column("mult-adds", justify="right", overflow="fold", ratio=1)
    for layer in report.layers:
        _add_layer(table, layer, expand, "")
    table.add_section()
    table.add_row("total", "", f"{report.total_params:,}", f"{report.weight_bytes:,} bytes", f"{report.total_macs:,}")
    table.add_row("trainable", "", f"{report.trainable_params:,}", "", "")
    table.add_row("non-trainable", "", f"{report.non_trainable_params:,}", "", "")
    return table


def _rows(layers: list[LayerInfo], expand: bool, indent: str = "") -> list[tuple[str, LayerInfo]]:
    """Every layer (and with ``expand`` its inner layers), with the indent it is shown at."""
    rows = []
    for layer in layers:
        rows.append((indent, layer))
        if expand:
            rows += _rows(layer.children, expand, indent + "  ")
    return rows


def _columns_width(report: ModelReport) -> int:
    """What the layer table needs: its fixed columns at their widest, the formula at its narrowest, borders."""
    rows = [layer for _, layer in _rows(report.layers, True)]
    names = max(len(f"    {layer.name} (frozen)") for layer in rows)
    shapes = max(len(layer.output_shape) for layer in rows)
    numbers = len(f"{report.total_params:,}") + len(f"{report.total_macs:,}")
    return max(names, 12) + max(shapes, 12) + numbers + FORMULA_MIN_WIDTH + 5 * 3 + 1


def _stacked_layers(report: ModelReport, expand: bool, title: Any, per: str) -> Table:
    from rich.table import Table

    table = Table(title=title, caption=f"mult-adds: {per}", header_style="bold", show_lines=True)
    table.add_column("layer (type)", no_wrap=True)
    table.add_column("output shape, params, how the count arises, mult-adds", overflow="fold")
    for indent, layer in _rows(report.layers, expand):
        facts = ([f"shape {layer.output_shape}"] if layer.output_shape else []) + [f"params {layer.params:,}"]
        facts += [layer.formula] if layer.formula else []
        facts += [f"mult-adds {layer.macs:,}"] if layer.macs else []
        table.add_row(_layer_name(layer, indent), output.plain("\n".join(facts)))
        for weight in layer.weights if expand else ():
            shape = "×".join(str(d) for d in weight.shape)
            table.add_row(output.plain(f"{indent}  · {weight.name}", "dim"),
                          output.plain(f"shape {shape}\nparams {weight.params:,}\n{weight.role}"))  # fmt: skip
    table.add_row("total", output.plain(f"params {report.total_params:,} ({report.trainable_params:,} trainable)\n"
                                        f"{report.weight_bytes:,} bytes\nmult-adds {report.total_macs:,}"))  # fmt: skip
    return table


def _layer_name(layer: LayerInfo, indent: str) -> Any:
    """A layer's name (marked when frozen) over its type, dimmed."""
    name = output.cell(f"{indent}{layer.name}")
    if not layer.trainable:
        name.append(" (frozen)", style="yellow")
    name.append("\n")
    name.append_text(output.plain(f"{indent}{layer.type}", "dim"))
    return name


def _add_layer(table: Table, layer: LayerInfo, expand: bool, indent: str) -> None:
    table.add_row(
        _layer_name(layer, indent),
        output.plain(layer.output_shape),
        f"{layer.params:,}",
        output.plain(layer.formula) if layer.formula else output.plain("no weights", "dim"),
        f"{layer.macs:,}" if layer.macs else "",
    )
    if not expand:
        return
    for child in layer.children:
        _add_layer(table, child, expand, indent + "  ")
    for weight in layer.weights:
        shape = "×".join(str(d) for d in weight.shape)
        table.add_row(
            output.plain(f"{indent}  · {weight.name}", "dim"), shape, f"{weight.params:,}",
            output.plain(weight.role, "dim"), "",
        )  # fmt: skip


def why(report: ModelReport) -> list[str]:
    lines = [f"{layer.name}: {layer.note}" for layer in report.layers if layer.note]
    if report.sequence_length == 1:
        lines.append("mult-adds are per token here: pass --input-length N for a whole review")
    return lines + list(report.notes)


def card_table(card: Card) -> Table:
    """The facts of a model card (:func:`sentiment_cli.facts.card_facts`); every value is shown as plain text
    (a card is user-editable JSON)."""
    from rich.table import Table

    table = Table(title="Model card", show_header=False)
    table.add_column("fact", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    for fact, value in card_facts(card):
        table.add_row(output.cell(fact), output.cell(value))
    return table


def _bar(value: float, top: float, width: int = 16) -> str:
    cells = 0 if top <= 0 else round(width * min(value, top) / top)
    return "█" * cells + "·" * (width - cells)


def history_chart(name: str, history: dict[str, list[float]], kept: int | None) -> Table:
    """Loss and accuracy per epoch, training against validation, as bars: over-fitting shows at a glance;
    ``kept`` (1-based, :meth:`sentiment_cli.bundle.TrainingRecord.kept`) is marked."""
    from rich.table import Table
    from rich.text import Text

    losses = history.get("loss", [])
    val_losses = history.get("val_loss", [])
    top = max(losses + val_losses, default=0.0)
    table = Table(title=output.cell(f"Training history: {name}"), header_style="bold", show_edge=False)
    table.add_column("epoch", justify="right")
    table.add_column("loss (train)")
    table.add_column("loss (validation)")
    table.add_column("accuracy train / val", justify="right")
    for epoch, loss in enumerate(losses):
        val_loss = val_losses[epoch] if epoch < len(val_losses) else None
        accuracy = history.get("accuracy", [None] * len(losses))[epoch]
        val_accuracy = (history.get("val_accuracy") or [None] * len(losses))[epoch]
        marker = (" ← kept", "bold green") if epoch + 1 == kept else ""
        table.add_row(
            str(epoch + 1),
            Text.assemble((_bar(loss, top), "cyan"), f" {loss:.3f}", *([marker] if val_loss is None else [])),
            "" if val_loss is None else Text.assemble((_bar(val_loss, top), "magenta"), f" {val_loss:.3f}", marker),
            " / ".join("-" if a is None else f"{a:.3f}" for a in (accuracy, val_accuracy)),
        )
    return table


# -- train ---------------------------------------------------------------------------------------------


def metrics_table(metrics: dict[str, Metrics], branches: dict[str, dict[str, float]] | None = None) -> Table:
    """Metrics as rows (:meth:`sentiment_cli.metrics.Metrics.headline`) and splits as columns (each branch's
    accuracy a row of its own): a few narrow columns that fit an 80-column terminal, numbers never cut (a metric
    per column needed about 100)."""
    from rich.table import Table

    splits = list(metrics)
    table = Table(title="Metrics", header_style="bold")
    table.add_column("metric", overflow="fold")
    for split in splits:
        table.add_column(output.cell(split), justify="right", no_wrap=True)
    table.add_row("reviews", *(f"{metrics[split].n:,}" for split in splits))
    values = {split: {row.key: row.value for row in metrics[split].headline()} for split in splits}
    for row in metrics[splits[0]].headline() if splits else ():
        cells = [values[split].get(row.key) for split in splits]
        table.add_row(row.label, *("" if v is None else f"{v:.4f}" for v in cells))
    if branches:
        table.add_section()
    for name, scores in (branches or {}).items():
        table.add_row(
            output.cell(f"{name} alone, accuracy"),
            *("" if scores.get(split) is None else f"{scores[split]:.4f}" for split in splits),
        )
    return table


def score_summary(summary: Any) -> str:
    """``sentiment score``'s one line: rows, rows without a label, time, rate and partitions."""
    rate = summary.rows / summary.seconds if summary.seconds > 0 else 0.0
    none = f", {summary.unlabelled:,} without a label" if summary.unlabelled else ""
    return (
        f"Scored {summary.rows:,} rows ({summary.text_column!r}{none}) into {summary.output} "
        f"in {summary.seconds:.1f} s ({rate:,.0f} rows/s, {summary.partitions} partitions)"
    )
