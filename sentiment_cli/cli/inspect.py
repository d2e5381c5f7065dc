"""``sentiment inspect``: each layer's output shape and parameter count, and why."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import output, render
from .options import FormatOpt, ReportFormat


def inspect(
    model: Annotated[
        Path | None,
        typer.Argument(
            help="A model directory, or any .keras file (for example one saved from a notebook). "
            "Default: the shipped model.",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOpt = ReportFormat.table,
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
    with output.status("Loading TensorFlow"):
        from ..inspection import inspect_model

    report = inspect_model(model, input_length)
    if fmt is ReportFormat.json:
        output.print_json(report.to_dict(), "inspect")
        return
    output.stdout.print(render.layers_table(report, expand))
    for line in render.why(report):
        output.stdout.print(output.plain("Why: ", "bold") + output.plain(line), highlight=False)
    if report.card:
        output.stdout.print(render.card_table(report.card))
        for name, history in report.card.get("history", {}).items():
            output.stdout.print(render.history_chart(name, history))
