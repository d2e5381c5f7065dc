"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ModelOpt = Annotated[
    Path | None,
    typer.Option(
        "--model",
        "-m",
        help="Model directory written by 'sentiment train'. Default: the model shipped with sentiment-cli.",
        show_default=False,
    ),
]
