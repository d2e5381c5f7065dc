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

ThresholdOpt = Annotated[
    float | None,
    typer.Option(
        min=0.0,
        max=1.0,
        help="Probability at or above which a review is positive. Default: the model card's (0.5).",
        show_default=False,
    ),
]
