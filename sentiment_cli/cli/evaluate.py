"""``sentiment evaluate``: score a model on labelled data."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated, Any

import typer

from . import console, render, writers
from . import errors as cli_errors
from .options import (
    EncodingOpt,
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
    TreeNodes,
    TreeNodesOpt,
    check_output,
    check_threshold,
    read_labelled,
    report_target,
)


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
            help="Which split to score: test, train or validation (dev). Default: test when the data has one.",
            show_default=False,
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
    tree_nodes: TreeNodesOpt = TreeNodes.sentences,
    encoding: EncodingOpt = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also draw a report: FILE.html (one self-contained page: metrics, confusion matrix, ROC and "
            "precision-recall curves, reliability diagram, probability histograms, per-class metrics, the most "
            "confident errors), FILE.png (every chart on one image) or a folder (one PNG per chart). Needs "
            "matplotlib: pip install 'sentiment-cli[report]'.",
            show_default=False,
        ),
    ] = None,
    predictions: Annotated[
        Path | None,
        typer.Option(
            "--predictions",
            help="Also write one record per review (source, predicted label, probabilities, true_label, text) "
            "to FILE.jsonl (.json and .ndjson are JSON lines too), .csv, .tsv or .parquet, for error analysis.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Measure a model on labelled reviews.

    Accuracy, precision, recall and F1 (per class, macro and weighted), macro-averaged
    recall, ROC-AUC, log loss, the confusion matrix and throughput.

    The data's labels are matched to the model's classes (0/1 or pos/neg data against a
    negative/positive model, class names for more classes, or --label-map). Uses the same
    LiteRT runtime as predict (TensorFlow is never loaded).

    Examples:

    \b
      sentiment evaluate aclImdb_v1.tar.gz --model my-model
      sentiment evaluate test.csv --report report.html --predictions scored.csv
    """
    if input_format is not None and input_format.value == "text":
        raise typer.BadParameter(
            "evaluate needs labelled data: csv, tsv, jsonl or parquet", param_hint="--input-format"
        )
    if predictions is not None:
        writers.prediction_file_format(predictions, "--predictions")
    # before the long part: an output that would replace an input, or cannot be written, fails at once
    check_output("--predictions", predictions, [("the data", data)], model=model)
    if report is not None:
        from ..reports import require_matplotlib

        report_target(report)  # its kind, and that it can be written
        check_output("--report", report, [("the data", data)], model=model, writable=False)
        require_matplotlib()
    from ..bundle import read_bundle
    from ..evaluation import default_split, score

    bundle = read_bundle(model, purpose="evaluate")
    check_threshold(threshold, bundle.labels)
    dataset = read_labelled(
        data, input_format, text_column=text_column, label_column=label_column, id_column=id_column,
        label_map=label_map, header=header, tree_nodes=tree_nodes.value, encoding=encoding, classes=bundle.labels,
        scheme=bundle.card.label_scheme,
    )  # fmt: skip
    reviews = len(dataset.split(split or default_split(dataset)))
    with console.progress("Classifying", reviews) as update:
        evaluation = score(dataset, bundle, split, threshold, progress=update)
    result = evaluation.result
    if fmt is ReportFormat.json:
        console.print_json(result.to_dict(), "evaluate")
    else:
        console.stdout.print(render.evaluation_table(result))
        if not result.metrics.binary:
            console.stdout.print(render.per_class_table(result.metrics))
            console.stdout.print(render.confusion_table(result.metrics))
    if predictions is not None:
        write_predictions(predictions, evaluation)
        console.note(f"Wrote {len(evaluation.texts):,} predictions to {predictions}")
    if report is not None:
        from ..reports import evaluation_report

        with console.status(f"Drawing {report}"):
            written = evaluation_report(evaluation, f"model {model}" if model else "the shipped model").write(report)
        console.note(f"Wrote {report}" if len(written) == 1 else f"Wrote {len(written)} charts to {report}")
    if dataset.skipped:  # exit 1 says so in one error line, as every exit 1 does
        files = "1 file" if len(dataset.skipped) == 1 else f"{len(dataset.skipped):,} files"
        console.error(f"{files} of the data could not be read (named above); the evaluation covers the others")
        raise typer.Exit(cli_errors.EXIT_FAILURE)


PREDICTION_CHUNK = 1024


def write_predictions(path: Path, evaluation: Any) -> None:
    """One record per review of the evaluation, in data order, in the format ``path``'s extension names: the
    fields of ``predict``'s output (``label`` is the predicted one; empty for a review the model could not
    score), then ``true_label`` and ``text``. CSV and TSV cells are made safe to open in a spreadsheet."""
    from ..metrics import reported_probabilities
    from ..runtime import Prediction

    fmt = writers.prediction_file_format(path, "--predictions")
    classes, predicted = evaluation.classes, evaluation.predicted
    reported = reported_probabilities(evaluation.probabilities, predicted)
    keep = ("true_label", "text")

    def record(i: int) -> Prediction:
        row, c, text = evaluation.probabilities[i], int(predicted[i]), evaluation.texts[i]
        return Prediction(
            evaluation.sources[i], text, None if c < 0 else float(reported[i]), None if c < 0 else classes[c],
            () if c < 0 else tuple(float(v) for v in row),
            id=evaluation.ids[i] if with_id else None,
            extra={"true_label": classes[evaluation.labels[i]], "text": text},
        )  # fmt: skip

    with_id = bool(evaluation.ids)  # the id column's values, as 'id' (predict's name for it)
    with writers.result_file(path) as target, contextlib.ExitStack() as closing:
        writer = writers.open_writer(target, fmt, classes, closing, with_id=with_id, keep=keep)
        for start in range(0, len(evaluation.texts), PREDICTION_CHUNK):
            writer.write([record(i) for i in range(start, min(start + PREDICTION_CHUNK, len(evaluation.texts)))])
