"""``sentiment inspect``: each layer's output shape and parameter count, and why."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import console, render
from .options import FormatOpt, ReportFormat, check_output, report_target


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
    report_file: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also draw the training report of a model directory from its card: FILE.html (loss and accuracy "
            "per epoch of each branch, metrics, class balance, review lengths, vocabulary coverage, rows "
            "skipped), FILE.png or a folder of PNGs. Needs matplotlib: pip install 'sentiment-cli[report]'.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Show each layer's shape and parameter count, and why.

    Each count comes with the arithmetic behind it.

    The formula column works each count out in the layer's own numbers, for example
    a Dense(64) after a Bidirectional LSTM(64) sees 2 × 64 = 128 features, so it
    has 128×64 + 64 = 8,256 weights. Keras files are loaded with safe_mode=True:
    a model with Lambda layers or custom code is refused, never run. Without a
    MODEL, the shipped model is shown and the other shipped models are listed.

    In your own code, a hybrid's model.keras loads in plain Keras once its length
    gate layer is registered, by importing sentiment_cli.model first:

    \b
      import keras, sentiment_cli.model
      model = keras.models.load_model("model.keras", safe_mode=True)
    """
    if report_file is not None:  # before TensorFlow loads: a report that cannot be written fails at once
        from ..reports import require_matplotlib

        if model is not None and model.is_file():
            raise typer.BadParameter(
                "a training report is drawn from a model directory's card; a .keras file has none",
                param_hint="--report",
            )
        report_target(report_file)
        check_output("--report", report_file, model=model, writable=False)
        require_matplotlib()
    from ..extras import require_tensorflow

    require_tensorflow()
    with console.status("Loading TensorFlow"):
        from ..inspection import inspect_model

    report = inspect_model(model, input_length)
    if report_file is not None and report.card is not None:
        from ..reports import training_report

        with console.status(f"Drawing {report_file}"):
            written = training_report(report.card).write(report_file)
        console.note(f"Wrote {report_file}" if len(written) == 1 else f"Wrote {len(written)} charts to {report_file}")
    from ..bundle import shipped_models

    shipped = list(shipped_models()) if model is None else []  # what else a name (--model NAME) can pick
    if fmt is ReportFormat.json:
        console.print_json(report.to_dict() | ({"shipped_models": shipped} if shipped else {}), "inspect")
        return
    console.stdout.print(render.layers_table(report, expand, console.stdout.width))
    for line in render.why(report):
        console.stdout.print(console.plain("Why: ", "bold") + console.plain(line), highlight=False)
    if report.card:
        console.stdout.print(render.card_table(report.card))
        for name, history in report.card.history.items():
            console.stdout.print(render.history_chart(name, history, report.card.training.kept(name, history)))
    if shipped:
        console.stdout.print(console.plain(f"Shipped models: {', '.join(shipped)} (inspect NAME, --model NAME)"))
