"""The ``sentiment`` command: a thin layer that parses arguments, calls the library and renders."""

from __future__ import annotations

from typing import Annotated

import typer
from typer.core import TyperCommand

from .. import __version__

COMMANDS = ("predict", "train", "evaluate", "inspect", "score", "serve")
"""The subcommands, each the function of the same name in the module of the same name."""
HELP = (
    "Classify reviews and any text by sentiment with the classic Keras IMDB model, Embedding -> "
    "Bidirectional LSTM -> Dense -> Dense(1, sigmoid) (Dense(N, softmax) for N classes): the shipped "
    "model, or one trained on your own table, labels and language.\n\n"
    "Exit codes: 0 success, 1 an input, data or model problem (named on stderr), "
    "2 a usage error, 130 interrupted."
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sentiment-cli {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Classify reviews and any text by sentiment."""


class Command(TyperCommand):
    """A subcommand whose help is Click's plain text, its options grouped under their ``rich_help_panel``
    headings: Typer's Rich help imports Markdown, syntax highlighting and tracebacks (about 60 ms, more
    than the LiteRT floor's half) before it prints a line."""

    def format_options(self, ctx: typer.Context, formatter: typer.core._click.HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                kind = param.param_type_name
                title = "Arguments" if kind == "argument" else getattr(param, "rich_help_panel", None) or "Options"
                sections.setdefault(title, []).append(record)
        for title, records in sections.items():
            with formatter.section(title):
                formatter.write_dl(records)


def build_app(commands: tuple[str, ...] = COMMANDS) -> typer.Typer:
    """The ``sentiment`` application with these subcommands (only their modules are imported)."""
    import importlib

    from . import errors as cli_errors

    application = typer.Typer(
        name="sentiment",
        help=HELP,
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
    )
    application.callback()(_root)
    for name in commands:
        module = importlib.import_module(f".{name}", __name__)
        application.command(name, cls=Command)(cli_errors.reported(getattr(module, name)))
    return application


def __getattr__(name: str) -> typer.Typer:
    if name == "app":  # the whole application, built on first use (tests, documentation tools)
        globals()["app"] = build_app()
        return globals()["app"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """The console script. A run of one subcommand builds only that one: Typer turns every registered
    command's signature into Click parameters before parsing, which the others would cost at every start."""
    import os
    import sys

    first = sys.argv[1] if len(sys.argv) > 1 else None
    completing = any(key.endswith("_COMPLETE") for key in os.environ)
    only = (first,) if first in COMMANDS and not completing else COMMANDS
    build_app(only)(prog_name="sentiment")
