"""``sentiment predict``: classify reviews from files or standard input."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from . import output
from .options import ModelOpt, ThresholdOpt
from .output import PredictFormat


def predict(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Review files (each file is one review), or - for standard input (each non-empty line "
            "is one review). With none, standard input is read when it is not a terminal.",
            show_default=False,
        ),
    ] = None,
    model: ModelOpt = None,
    per_line: Annotated[
        bool, typer.Option("--per-line", help="Treat each non-empty line of a FILE as one review.")
    ] = False,
    whole: Annotated[bool, typer.Option("--whole", help="Treat all of standard input as one review.")] = False,
    fmt: Annotated[
        PredictFormat,
        typer.Option(
            "--format",
            "-f",
            help="Output format. auto: a table on a terminal, JSON lines when piped.",
            case_sensitive=False,
        ),
    ] = PredictFormat.auto,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Show how much each word pushed the prediction (the change in log-odds of positive when it is "
            "left out): coloured on a terminal, an 'explanation' list with character offsets in JSON lines.",
        ),
    ] = False,
    threshold: ThresholdOpt = None,
) -> None:
    """Classify reviews as positive or negative.

    Each record names its source (the file, or <stdin>:LINE), the label and the
    probability that the review is positive. Results stream: each batch is printed
    as soon as it is classified, so 'tail -f reviews.log | sentiment predict -' works.

    Examples:

      sentiment predict review.txt

      cat reviews.txt | sentiment predict - --format csv

      sentiment predict --per-line reviews.txt --model my-model

      sentiment predict review.txt --explain
    """
    sources = list(inputs or [])
    if not sources:
        if sys.stdin is None or sys.stdin.isatty():
            raise typer.BadParameter("give review files, or - to read standard input", param_hint="INPUTS")
        sources = ["-"]
    if sources.count("-") > 1:
        raise typer.BadParameter("standard input (-) can be read only once", param_hint="INPUTS")

    if explain and fmt in (PredictFormat.csv, PredictFormat.tsv):
        raise typer.BadParameter("--explain needs --format table or jsonl", param_hint="--explain")

    with output.reporting():
        from ..bundle import KERAS_FILE, read_bundle
        from ..explain import explain as explain_one
        from ..reviews import Problem, read_sources
        from ..runtime import Predictor

        predictor = Predictor(read_bundle(model, skip=(KERAS_FILE,)))
        writer = output.PredictionWriter(fmt)

        def write(predictions: list) -> None:
            writer.write(predictions, [explain_one(predictor, p.text) for p in predictions] if explain else None)

        failed = False
        chunks = read_sources(sources, sys.stdin.buffer, per_line=per_line, whole=whole)
        for chunk in predictor.stream(chunks, threshold):
            predictions = []
            for item in chunk:
                if isinstance(item, Problem):
                    write(predictions)  # in input order: the results before the problem, then the problem
                    predictions = []
                    (output.error if item.fatal else output.warning)(item.message)
                    failed = failed or item.fatal
                else:
                    predictions.append(item)
            write(predictions)
        if failed:
            raise typer.Exit(output.EXIT_FAILURE)
