"""The ``sentiment`` command: a thin layer that parses arguments, calls the library and renders."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import __version__
from . import evaluate as evaluate_command
from . import inspect as inspect_command
from . import output
from . import predict as predict_command
from . import score as score_command
from . import train as train_command

app = typer.Typer(
    name="sentiment",
    help=(
        "Classify reviews and any text by sentiment with the classic Keras IMDB model, Embedding -> "
        "Bidirectional LSTM -> Dense -> Dense(1, sigmoid) (Dense(N, softmax) for N classes): the shipped "
        "model, or one trained on your own table, labels and language.\n\n"
        "Exit codes: 0 success, 1 an input, data or model problem (named on stderr), "
        "2 a usage error, 130 interrupted."
    ),
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sentiment-cli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Classify reviews and any text by sentiment."""


for name, command in (
    ("predict", predict_command.predict),
    ("train", train_command.train),
    ("evaluate", evaluate_command.evaluate),
    ("inspect", inspect_command.inspect),
    ("score", score_command.score),
):
    app.command(name)(output.reported(command))


def main() -> None:
    app(prog_name="sentiment")
