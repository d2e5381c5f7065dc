"""``sentiment inspect``: each layer's output shape and parameter count, and why."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from . import output


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

        report = inspect_model(model)
        if fmt is InspectFormat.json:
            output.print_json(report.to_dict())
            return
        output.stdout.print(_layers_table(report))
        for line in _why(report):
            output.stdout.print(f"[bold]Why:[/] {line}", highlight=False)
        if report.card:
            output.stdout.print(_card_table(report.card))


def _layers_table(report: Any) -> Table:
    table = Table(title=f"{report.name}  ({report.source})", header_style="bold")
    table.add_column("layer (type)", no_wrap=True)
    table.add_column("output shape", no_wrap=True)
    table.add_column("params", justify="right", no_wrap=True)
    longest = max((len(layer.formula) for layer in report.layers), default=0)
    table.add_column("how the count arises", min_width=min(40, longest))
    for layer in report.layers:
        frozen = "" if layer.trainable else " [yellow](frozen)[/]"
        table.add_row(
            f"{layer.name}{frozen}\n[dim]{layer.type}[/]",
            layer.output_shape,
            f"{layer.params:,}",
            layer.formula or "[dim]no weights[/]",
        )
    table.add_section()
    table.add_row("total", "", f"{report.total_params:,}", f"{report.weight_bytes:,} bytes")
    table.add_row("trainable", "", f"{report.trainable_params:,}", "")
    table.add_row("non-trainable", "", f"{report.non_trainable_params:,}", "")
    return table


def _why(report: Any) -> list[str]:
    lines = [f"{layer.name}: {layer.note}" for layer in report.layers if layer.note]
    return lines + list(report.notes)


def _card_table(card: dict[str, Any]) -> Table:
    table = Table(title="Model card", show_header=False)
    table.add_column("fact", style="bold")
    table.add_column("value", overflow="fold")
    model, training, data = card.get("model", {}), card.get("training", {}), card.get("data", {})
    table.add_row("vocabulary", f"{model.get('vocab_size', '?'):,} entries (+1 padding id)")
    table.add_row("sequence length", f"{model.get('max_length', '?')} tokens at training time")
    table.add_row(
        "data",
        f"{data.get('source', '?')} ({data.get('files', '?')} files, sha256 {str(data.get('sha256', '?'))[:12]}…)",
    )
    if training:
        table.add_row(
            "training",
            f"{training.get('epochs_run')} epochs (best {training.get('best_epoch')}), {training.get('fit_seconds')} s",
        )
    for split, values in card.get("metrics", {}).items():
        table.add_row(f"{split} accuracy", f"{values['accuracy']:.4f} on {values['n']:,} reviews")
    table.add_row("created", str(card.get("created", "?")))
    return table
