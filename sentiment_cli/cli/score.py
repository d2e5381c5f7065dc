"""``sentiment score``: batch scoring of files and folders on Apache Spark."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from ..formats import TableFormat, listed
from . import console, render
from .options import ModelOpt, TextColumnOpt, ThresholdOpt, check_threshold

ScoreFormat = StrEnum("ScoreFormat", {f.value: f.value for f in listed(TableFormat.parquet)})  # type: ignore[misc]
"""``score --input-format``: every table format (:mod:`sentiment_cli.formats`), Parquet (the default) first."""


def score(
    source: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="A file or folder of Parquet, CSV (with a header row), TSV or JSON Lines files: a local path or any "
            "URL Spark reads (hdfs://, s3a://...).",
            show_default=False,
        ),
    ],
    target: Annotated[
        str,
        typer.Argument(
            metavar="OUTPUT",
            help="The folder to write (one part file per partition): Parquet, or CSV or JSON Lines when its name "
            "ends in .csv or .jsonl.",
            show_default=False,
        ),
    ],
    master: Annotated[
        str | None,
        typer.Option(
            help="Spark master URL: local[2], spark://host:7077, yarn, k8s://... Default: spark-submit's "
            "--master, else local[*] (every core of this machine).",
            show_default=False,
        ),
    ] = None,
    model: ModelOpt = None,
    text_column: TextColumnOpt = None,
    id_column: Annotated[
        str | None,
        typer.Option(
            help="A column identifying each row: the output then holds it, as 'id' (the name predict and "
            "evaluate --predictions give it), and the predictions only. Default: every input column is kept, "
            "under its own name, followed by the predictions.",
            show_default=False,
        ),
    ] = None,
    input_format: Annotated[
        ScoreFormat | None,
        typer.Option(help="Read INPUT as this format. Default: from the file names.", show_default=False),
    ] = None,
    threshold: ThresholdOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace OUTPUT if it exists.")] = False,
) -> None:
    """Score a file or folder of reviews on Apache Spark.

    Writes a folder of predictions.

    Each row gets label and probability (and p_CLASS for models of more than two classes), with the
    values 'sentiment predict' gives the same text; a row without text gets none. The model goes to
    each worker once; workers need only the prediction path (see the README's "Running on a cluster").
    Needs pip install 'sentiment-cli[spark]' and a Java runtime.

    Examples:

    \b
      sentiment score reviews.parquet scored.parquet --id-column review_id
      sentiment score s3a://bucket/reviews/ s3a://bucket/scored/ --master yarn
    """
    from ..api import load
    from ..spark import score_files

    loaded = load(model)
    check_threshold(threshold, loaded.labels)
    summary = score_files(
        source, target, model=loaded, master=master, text_column=text_column, id_column=id_column,
        input_format=None if input_format is None else input_format.value, threshold=threshold, force=force,
    )  # fmt: skip
    console.note(render.score_summary(summary))
