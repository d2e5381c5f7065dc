"""Every Rich table and chart the commands print, built from result objects (no command logic here).

User-supplied text (review text, file names, card fields, layer names) goes through ``console.plain`` (or
``console.cell``, on one line): never read as markup, control characters shown escaped. The consoles read no
markup at all, so a string that reaches Rich another way is shown as written too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..facts import card_facts
from ..records import carried, cell_text
from . import console as output  # the consoles and inert text: output.cell, output.plain

if TYPE_CHECKING:
    from rich.table import Table

    from ..bundle import Card
    from ..evaluation import EvaluationResult
    from ..explain import Explanation
    from ..metrics import Metrics
    from ..model_report import LayerInfo, ModelReport
    from ..runtime import Prediction


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


# -- predict ---------------------------------------------------------------------------------------------

PREVIEW_WIDTH = 160
"""Widest a prediction table grows to fill the console (its review column is a preview)."""

_ONE_FOR_ONE = {c: "\ufffd" for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]}
"""Control characters to U+FFFD, one for one, where offsets into the text must keep their meaning."""


def predictions_table(
    predictions: list[Any],
    classes: tuple[str, ...],
    *,
    with_id: bool = False,
    keep: tuple[str, ...] = (),
    show_header: bool = True,
    width: int = 80,
) -> Table:
    """``predict``'s table on a terminal: source, the id and kept columns (each up to 20 characters wide), label,
    probability and a preview of the review, fitted to ``width`` (up to :data:`PREVIEW_WIDTH`). Later chunks of one
    run (lines typed one by one) continue the same table without its header."""
    from rich.table import Table
    from rich.text import Text

    cell, one_line = output.cell, output.one_line
    multiclass = len(classes) > 2
    width = min(width, PREVIEW_WIDTH)
    source_width = min(max(6, min(40, width // 3)), max(6, *(len(one_line(p.source)) for p in predictions)))
    label_width = max(8, *(len(one_line(name)) for name in classes))
    heading = cell("P(label)" if multiclass else f"P({classes[1]})")  # a class name: never markup
    probability_width = max(11, len(heading))
    # the id and the kept columns, as every other format carries them (each up to 20 characters wide)
    names = (["id"] if with_id else []) + list(keep)
    shown = {name: [_carried_cell(carried(p, name)) for p in predictions] for name in names}
    carried_widths = {name: min(20, max(len(one_line(name)), *map(len, cells))) for name, cells in shown.items()}
    used = source_width + label_width + probability_width + sum(carried_widths.values())
    review_width = max(10, width - used - (4 + len(shown)) * 3)
    table = Table(show_edge=False, header_style="bold", show_header=show_header)
    table.add_column("source", min_width=source_width, max_width=source_width, overflow="fold")
    if with_id:
        table.add_column("id", width=carried_widths["id"], overflow="fold")
    table.add_column("label", min_width=label_width, no_wrap=True)
    table.add_column(heading, min_width=probability_width, justify="right", no_wrap=True)
    for name in keep:
        table.add_column(cell(name), width=carried_widths[name], overflow="fold")
    table.add_column("review", width=review_width, no_wrap=True, overflow="ellipsis")
    for i, p in enumerate(predictions):
        label = getattr(p, "label", None)
        style = {classes[0]: "red", classes[-1]: "green"}.get(label or "", "yellow")
        probability = getattr(p, "probability", None)
        table.add_row(
            cell(p.source),
            *([cell(shown["id"][i])] if with_id else []),
            cell(label or "-", style=style),
            "-" if probability is None else f"{probability:.3f}",
            *(cell(shown[name][i]) for name in keep),
            Text(output.preview(getattr(p, "text", ""), review_width)),
        )
    return table


def _carried_cell(value: Any) -> str:
    """A carried value (an id, a kept column) for a table cell: ``-`` for none (or NaN), else as
    :func:`~sentiment_cli.records.cell_text`."""
    text = cell_text(value)
    return "-" if text is None else text


def explained(prediction: Prediction, explanation: Explanation, classes: tuple[str, ...]) -> list[Any]:
    """The review with each token coloured by its weight: green toward the second class (two classes) or the
    predicted one (more), red away from it."""
    from rich.text import Text

    from ..text import NEGATED

    cell, one_line = output.cell, output.one_line
    text = prediction.text
    top = max((abs(t.weight) for t in explanation.tokens), default=0.0) or 1.0
    shown = Text(text.translate(_ONE_FOR_ONE))  # one for one, so the tokens' offsets still apply
    for t in explanation.tokens:
        strength = abs(t.weight) / top
        if strength < 0.05:
            continue
        level = int(90 + 165 * strength)
        colour = f"rgb(0,{level},0)" if t.weight > 0 else f"rgb({level},0,0)"
        shown.stylize(f"bold white on {colour}", t.start, t.end)
    style = "green" if prediction.label == classes[-1] else "red" if prediction.label == classes[0] else "yellow"
    if len(classes) == 2:
        heading, toward, away = f"P({classes[1]})", f"toward {classes[1]}", f"toward {classes[0]}"
    else:
        heading, toward, away = f"P({prediction.label})", f"toward {prediction.label}", f"away from {prediction.label}"
    head = Text.assemble(
        (one_line(prediction.source), "bold"), "  ", (one_line(prediction.label), style),
        f"  {one_line(heading)} {prediction.probability:.3f}",
    )  # fmt: skip
    pushed_up, pushed_down = explanation.strongest()
    words = sum(t.weight for t in explanation.tokens) + explanation.rest
    about = "log-odds" if len(classes) == 2 else f"logit of {prediction.label}"
    total = f"  {about} {explanation.logit:+.3f} = base {explanation.base:+.3f} + words {words:+.3f}"
    lines = [head, shown, cell(total)]
    for name, tokens in ((toward, pushed_up), (away, pushed_down)):
        if tokens:
            named = (f"{NEGATED if t.negated else ''}{t.token} ({t.weight:+.3f})" for t in tokens)
            lines.append(cell(f"  {name}: " + ", ".join(named)))
    if explanation.phrases:
        shown_phrases = ", ".join(f'"{" ".join(x.text.split())}" ({x.weight:+.3f})' for x in explanation.phrases)
        lines.append(cell(f"  phrases: {shown_phrases}"))
    return [*lines, Text("")]
