"""``sentiment evaluate``: score a model on labelled data."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import output
from .options import ModelOpt, ThresholdOpt

if TYPE_CHECKING:
    from rich.table import Table


class EvaluateFormat(StrEnum):
    table = "table"
    json = "json"


JSON_KEYS = (
    "accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "confusion_matrix", "n", "reviews_per_second",
    "threshold", "split", "source", "skipped",
)  # fmt: skip


def evaluate(
    data: Annotated[
        Path,
        typer.Argument(
            help="Labelled reviews in any format 'sentiment train' reads (an aclImdb folder or .tar.gz, "
            "or a .csv/.tsv/.jsonl file).",
            show_default=False,
        ),
    ],
    model: ModelOpt = None,
    split: Annotated[
        str | None,
        typer.Option(
            help="Which split to score: test or train. Default: test when the data has one.", show_default=False
        ),
    ] = None,
    threshold: ThresholdOpt = None,
    fmt: Annotated[
        EvaluateFormat, typer.Option("--format", "-f", help="table, or json for scripts.", case_sensitive=False)
    ] = EvaluateFormat.table,
) -> None:
    """Score a model on labelled reviews: accuracy, precision, recall, F1, ROC-AUC, log loss,
    the confusion matrix and throughput.

    Uses the same LiteRT runtime as predict (TensorFlow is never loaded).

    Example: sentiment evaluate aclImdb_v1.tar.gz --model my-model
    """
    with output.reporting():
        from ..bundle import KERAS_FILE, read_bundle
        from ..data import load_dataset
        from ..evaluation import evaluate as run

        bundle = read_bundle(model, skip=(KERAS_FILE,))
        with output.stderr.status(f"Reading {data}"):
            dataset = load_dataset(data)
        for reason in dataset.skipped:
            output.warning(f"skipped {reason}")
        with output.stderr.status("Classifying"):
            result = run(dataset, bundle, split, threshold)
        if fmt is EvaluateFormat.json:
            output.print_json({key: result[key] for key in JSON_KEYS})
        else:
            output.stdout.print(_table(result))
        if dataset.skipped:
            raise typer.Exit(output.EXIT_FAILURE)


def _table(result: dict[str, Any]) -> Table:
    from rich.table import Table

    table = Table(show_header=False)
    table.add_column("metric", style="bold", no_wrap=True)
    table.add_column("value", justify="right", overflow="fold")
    table.add_row("data", f"{result['source']}, {result['split']} split")
    for label, key in (
        ("accuracy", "accuracy"), ("precision", "precision"), ("recall", "recall"), ("F1", "f1"),
        ("ROC-AUC", "roc_auc"), ("log loss", "log_loss"),
    ):  # fmt: skip
        table.add_row(label, f"{result[key]:.4f}")
    (tn, fp), (fn, tp) = result["confusion_matrix"]
    table.add_row("reviews", f"{result['n']:,}")
    table.add_row("true negative / false positive", f"{tn:,} / {fp:,}")
    table.add_row("false negative / true positive", f"{fn:,} / {tp:,}")
    table.add_row("threshold", f"{result['threshold']:.2f}")
    table.add_row("throughput", f"{result['reviews_per_second']:,.0f} reviews/s")
    return table
