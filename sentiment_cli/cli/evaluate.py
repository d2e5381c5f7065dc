"""``sentiment evaluate``: score a model on labelled data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import output
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
)

if TYPE_CHECKING:
    from rich.table import Table


JSON_KEYS = (
    "accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "macro_precision", "macro_recall", "macro_f1",
    "weighted_precision", "weighted_recall", "weighted_f1", "per_class", "classes", "confusion_matrix", "n",
    "reviews_per_second", "threshold", "split", "source", "skipped", "rows_skipped", "undefined",
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
    from ..data import TableOptions, load_dataset
    from ..evaluation import evaluate as run

    bundle = read_bundle(model, purpose="evaluate")
    if threshold is not None and len(bundle.labels) > 2:
        raise typer.BadParameter(
            f"applies to two-class models; this one has {len(bundle.labels)} classes", param_hint="--threshold"
        )
    options = TableOptions(
        input_format=None if input_format is None else input_format.value,
        text_column=text_column,
        label_column=label_column,
        id_column=id_column,
        label_map=label_map,
        header=header,
    )
    with output.status(f"Reading {data}"):
        dataset = load_dataset(data, options, classes=bundle.labels, scheme=bundle.card.label_scheme)
    output.report_dataset(dataset)
    with output.status("Classifying"):
        result = run(dataset, bundle, split, threshold)
    if fmt is ReportFormat.json:
        output.print_json({key: result.get(key) for key in JSON_KEYS}, "evaluate")
    else:
        output.stdout.print(_table(result))
        if len(result["classes"]) > 2:
            output.stdout.print(_per_class_table(result))
            output.stdout.print(_confusion_table(result))
    if dataset.skipped:
        raise typer.Exit(output.EXIT_FAILURE)


def _value(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _table(result: dict[str, Any]) -> Table:
    from rich.table import Table

    binary = len(result["classes"]) == 2
    table = Table(show_header=False)
    table.add_column("metric", style="bold", no_wrap=True)
    table.add_column("value", justify="right", overflow="fold")
    table.add_row("data", output.plain(f"{result['source']}, {result['split']} split"))
    rows = [("accuracy", "accuracy")]
    if binary:
        rows += [("precision", "precision"), ("recall", "recall"), ("F1", "f1"), ("ROC-AUC", "roc_auc")]
    else:
        rows += [
            ("macro recall", "macro_recall"), ("macro precision", "macro_precision"), ("macro F1", "macro_f1"),
            ("weighted F1", "weighted_f1"), ("ROC-AUC (one vs rest, macro)", "roc_auc"),
        ]  # fmt: skip
    rows.append(("log loss", "log_loss"))
    for label, key in rows:
        table.add_row(label, _value(result[key]))
    table.add_row("reviews", f"{result['n']:,}")
    if binary:
        (tn, fp), (fn, tp) = result["confusion_matrix"]
        table.add_row("true negative / false positive", f"{tn:,} / {fp:,}")
        table.add_row("false negative / true positive", f"{fn:,} / {tp:,}")
        table.add_row("threshold", f"{result['threshold']:.2f}")
    for reason, count in result.get("rows_skipped", {}).items():
        table.add_row(output.plain(f"rows skipped {reason}"), f"{count:,}")
    rate = result["reviews_per_second"]
    table.add_row("throughput", "n/a" if rate is None else f"{rate:,.0f} reviews/s")
    for key, why in result.get("undefined", {}).items():
        table.add_row(f"{key} undefined", output.plain(why))
    return table


def _per_class_table(result: dict[str, Any]) -> Table:
    from rich.table import Table

    table = Table(title="Per class", header_style="bold")
    table.add_column("class", no_wrap=True)
    for column in ("precision", "recall", "F1", "support"):
        table.add_column(column, justify="right")
    for name, values in result["per_class"].items():
        table.add_row(
            output.plain(name), *(f"{values[k]:.4f}" for k in ("precision", "recall", "f1")), f"{values['support']:,}"
        )
    table.add_section()
    for average in ("macro", "weighted"):
        cells = [f"{result[f'{average}_{k}']:.4f}" for k in ("precision", "recall", "f1")]
        table.add_row(f"{average} average", *cells, f"{result['n']:,}")
    return table


def _confusion_table(result: dict[str, Any]) -> Table:
    from rich.table import Table

    table = Table(title="Confusion matrix (rows true, columns predicted)", header_style="bold")
    table.add_column("true \\ predicted", no_wrap=True)
    for name in result["classes"]:
        table.add_column(output.plain(name), justify="right")
    for name, row in zip(result["classes"], result["confusion_matrix"], strict=True):
        table.add_row(output.plain(name), *(f"{v:,}" for v in row))
    return table
