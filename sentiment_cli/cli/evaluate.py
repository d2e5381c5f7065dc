"""``sentiment evaluate``: score a model on labelled data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import output, render
from .options import (
    FormatOpt,
    HeaderOpt,
    IdColumnOpt,
    InputFormatOpt,
    LabelColumnOpt,
    LabelMapOpt,
    ModelOpt,
    ReportFormat,
    TextColumnOpt,
    ThresholdOpt,
    check_threshold,
    read_labelled,
)

JSON_KEYS = (
    "accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "ece", "macro_precision", "macro_recall",
    "macro_f1",
    "weighted_precision", "weighted_recall", "weighted_f1", "per_class", "classes", "confusion_matrix", "n",
    "reviews_per_second", "threshold", "split", "source", "skipped", "rows_skipped", "unreadable",
    "undefined",
)  # fmt: skip


def evaluate(
    data: Annotated[
        Path,
        typer.Argument(
            help="Labelled reviews in any format 'sentiment train' reads (a CSV/TSV/JSONL/Parquet table, an "
            "aclImdb folder or .tar.gz).",
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
    fmt: FormatOpt = ReportFormat.table,
    input_format: InputFormatOpt = None,
    text_column: TextColumnOpt = None,
    label_column: LabelColumnOpt = None,
    id_column: IdColumnOpt = None,
    label_map: LabelMapOpt = None,
    header: HeaderOpt = None,
) -> None:
    """Score a model on labelled reviews: accuracy, precision, recall and F1 (per class, macro and
    weighted), macro-averaged recall, ROC-AUC, log loss, the confusion matrix and throughput.

    The data's labels are matched to the model's classes (0/1 or pos/neg data against a
    negative/positive model, class names for more classes, or --label-map). Uses the same
    LiteRT runtime as predict (TensorFlow is never loaded).

    Example: sentiment evaluate aclImdb_v1.tar.gz --model my-model
    """
    if input_format is not None and input_format.value == "text":
        raise typer.BadParameter(
            "evaluate needs labelled data: csv, tsv, jsonl or parquet", param_hint="--input-format"
        )
    from ..bundle import read_bundle
    from ..evaluation import evaluate as run

    bundle = read_bundle(model, purpose="evaluate")
    check_threshold(threshold, bundle.labels)
    dataset = read_labelled(
        data, input_format, text_column=text_column, label_column=label_column, id_column=id_column,
        label_map=label_map, header=header, classes=bundle.labels, scheme=bundle.card.label_scheme,
    )  # fmt: skip
    with output.status("Classifying"):
        result = run(dataset, bundle, split, threshold)
    if fmt is ReportFormat.json:
        output.print_json({key: result.get(key) for key in JSON_KEYS}, "evaluate")
    else:
        output.stdout.print(render.evaluation_table(result))
        if len(result["classes"]) > 2:
            output.stdout.print(render.per_class_table(result))
            output.stdout.print(render.confusion_table(result))
    if dataset.skipped:
        raise typer.Exit(output.EXIT_FAILURE)
