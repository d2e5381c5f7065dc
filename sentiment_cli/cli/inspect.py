"""``sentiment inspect``: each layer's output shape and parameter count, and why."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import output

if TYPE_CHECKING:
    from rich.table import Table


class InspectFormat(StrEnum):
    table = "table"
    json = "json"


def inspect(
    model: Annotated[
        Path | None,
        typer.Argument(
            help="A model directory, or any .keras file (for example one saved from a notebook). "
            "Default: the shipped model.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        InspectFormat, typer.Option("--format", "-f", help="table, or json for scripts.", case_sensitive=False)
    ] = InspectFormat.table,
    expand: Annotated[
        bool,
        typer.Option(
            "--expand",
            "-e",
            help="Show what is inside each layer: the forward and backward RNNs of a Bidirectional and "
            "every weight matrix (kernel, recurrent kernel, bias) with what its gate blocks are.",
        ),
    ] = False,
    input_length: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Tokens per review: builds a model saved before it was built, and counts multiply-adds "
            "for reviews of this length. Default: the card's training length, else per token.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Show each layer's output shape and parameter count, with the arithmetic behind it.

    The formula column works each count out in the layer's own numbers, for example
    a Dense(64) after a Bidirectional LSTM(64) sees 2 × 64 = 128 features, so it
    has 128×64 + 64 = 8,256 weights. Keras files are loaded with safe_mode=True:
    a model with Lambda layers or custom code is refused, never run.
    """
    with output.reporting():
        with output.stderr.status("Loading TensorFlow"):
            from ..inspection import inspect_model

        report = inspect_model(model, input_length)
        if fmt is InspectFormat.json:
            output.print_json(report.to_dict())
            return
        output.stdout.print(_layers_table(report, expand))
        for line in _why(report):
            output.stdout.print(f"[bold]Why:[/] {line}", highlight=False)
        if report.card:
            output.stdout.print(_card_table(report.card))
            for name, history in report.card.get("history", {}).items():
                output.stdout.print(_history_chart(name, history))


def _layers_table(report: Any, expand: bool = False) -> Table:
    from rich.table import Table

    per = "per token" if report.sequence_length == 1 else f"per review of {report.sequence_length} tokens"
    table = Table(title=f"{report.name}  ({report.source})", caption=f"mult-adds: {per}", header_style="bold")
    table.add_column("layer (type)", no_wrap=True)
    table.add_column("output shape", no_wrap=True)
    table.add_column("params", justify="right", no_wrap=True)
    longest = max((len(layer.formula) for layer in report.layers), default=0)
    table.add_column("how the count arises", min_width=min(40, longest))
    table.add_column("mult-adds", justify="right", no_wrap=True)
    for layer in report.layers:
        _add_layer(table, layer, expand, "")
    table.add_section()
    table.add_row("total", "", f"{report.total_params:,}", f"{report.weight_bytes:,} bytes", f"{report.total_macs:,}")
    table.add_row("trainable", "", f"{report.trainable_params:,}", "", "")
    table.add_row("non-trainable", "", f"{report.non_trainable_params:,}", "", "")
    return table


def _add_layer(table: Table, layer: Any, expand: bool, indent: str) -> None:
    frozen = "" if layer.trainable else " [yellow](frozen)[/]"
    table.add_row(
        f"{indent}{layer.name}{frozen}\n{indent}[dim]{layer.type}[/]",
        layer.output_shape,
        f"{layer.params:,}",
        layer.formula or "[dim]no weights[/]",
        f"{layer.macs:,}" if layer.macs else "",
    )
    if not expand:
        return
    for child in layer.children:
        _add_layer(table, child, expand, indent + "  ")
    for weight in layer.weights:
        shape = "×".join(str(d) for d in weight.shape)
        table.add_row(f"{indent}  [dim]· {weight.name}[/]", shape, f"{weight.params:,}", f"[dim]{weight.role}[/]", "")


def _why(report: Any) -> list[str]:
    lines = [f"{layer.name}: {layer.note}" for layer in report.layers if layer.note]
    if report.sequence_length == 1:
        lines.append("mult-adds are per token here: pass --input-length N for a whole review")
    return lines + list(report.notes)


def _card_table(card: dict[str, Any]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Model card", show_header=False)
    table.add_column("fact", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    model, training, data = card.get("model", {}), card.get("training", {}), card.get("data", {})
    table.add_row("architecture", str(model.get("arch", "seed")))
    table.add_row("vocabulary", f"{model.get('vocab_size', 0):,} words (+1 padding id)")
    if model.get("arch") == "hybrid":
        order = model.get("ngram_order")
        table.add_row("n-gram bag", f"{model.get('ngram_vocab_size', 0):,} n-grams of 1 to {order} words (+2 ids)")
    table.add_row("sequence length", f"{model.get('max_length', '?')} tokens at training time (the first ones)")
    sha = str(data.get("sha256", "?"))[:12]
    table.add_row("data", Text(f"{data.get('source', '?')} ({data.get('files', '?')} files, sha256 {sha}…)"))
    skipped = data.get("rows_skipped") or {}
    if skipped:
        table.add_row("rows skipped", Text("; ".join(f"{count:,} {reason}" for reason, count in skipped.items())))
    epochs, best = training.get("epochs_run", {}), training.get("best_epoch", {})
    for name, seconds in training.get("fit_seconds", {}).items():
        table.add_row(f"trained {name}", f"{epochs.get(name)} epochs (best {best.get(name)}), {seconds} s")
    combiner = training.get("combiner")
    labels = card.get("labels", ["negative", "positive"])
    table.add_row("classes", Text(", ".join(f"{i}: {name}" for i, name in enumerate(labels))))
    if card.get("model", {}).get("tokenizer"):
        table.add_row("tokenizer", str(card["model"]["tokenizer"]))
    if combiner and "kernel" in combiner:
        n = len(labels)
        table.add_row("combiner", f"Dense({n}, softmax) over the {2 * n} branch logits, fitted on the validation split")
    elif combiner:
        table.add_row(
            "combiner",
            f"p = sigmoid({combiner['bilstm_weight']:.3f} × BiLSTM logit + {combiner['ngram_weight']:.3f} × n-gram "
            f"logit {combiner['bias']:+.3f}), fitted on the validation split",
        )
    for split, values in card.get("metrics", {}).items():
        if "accuracy" in values:
            table.add_row(f"{split} accuracy", f"{values['accuracy']:.4f} on {values['n']:,} reviews")
    for name, scores in card.get("metrics", {}).get("branches", {}).items():
        shown = ", ".join(f"{split} {value:.4f}" for split, value in scores.items())
        table.add_row(f"{name} branch alone", shown)
    table.add_row("created", str(card.get("created", "?")))
    return table


def _bar(value: float, top: float, width: int = 16) -> str:
    cells = 0 if top <= 0 else round(width * min(value, top) / top)
    return "█" * cells + "·" * (width - cells)


def _history_chart(name: str, history: dict[str, list[float]]) -> Table:
    """Loss and accuracy per epoch, training against validation, as bars: over-fitting shows at a glance."""
    from rich.table import Table

    losses = history.get("loss", [])
    val_losses = history.get("val_loss", [])
    top = max(losses + val_losses, default=0.0)
    best = min(range(len(val_losses)), key=val_losses.__getitem__) if val_losses else None
    table = Table(title=f"Training history: {name}", header_style="bold", show_edge=False)
    table.add_column("epoch", justify="right")
    table.add_column("loss (train)")
    table.add_column("loss (validation)")
    table.add_column("accuracy train / val", justify="right")
    for epoch, loss in enumerate(losses):
        val_loss = val_losses[epoch] if epoch < len(val_losses) else None
        accuracy = history.get("accuracy", [None] * len(losses))[epoch]
        val_accuracy = (history.get("val_accuracy") or [None] * len(losses))[epoch]
        marker = " [bold green]← kept[/]" if epoch == best else ""
        table.add_row(
            str(epoch + 1),
            f"[cyan]{_bar(loss, top)}[/] {loss:.3f}",
            "" if val_loss is None else f"[magenta]{_bar(val_loss, top)}[/] {val_loss:.3f}{marker}",
            " / ".join("-" if a is None else f"{a:.3f}" for a in (accuracy, val_accuracy)),
        )
    return table
