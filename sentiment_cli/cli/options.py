"""Options shared by several commands."""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..formats import TableFormat

ModelOpt = Annotated[
    Path | None,
    typer.Option(
        "--model",
        "-m",
        help="Model directory written by 'sentiment train'. Default: the model shipped with sentiment-cli.",
        show_default=False,
    ),
]


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"must be a number from 0 to 1, got {value}")
    return value


ThresholdOpt = Annotated[
    float | None,
    typer.Option(
        min=0.0,
        max=1.0,
        callback=_finite,
        help="Probability at or above which a review is positive. Default: the model card's (0.5).",
        show_default=False,
    ),
]

_DATA = "Reading your data"


InputFormat = StrEnum(  # type: ignore[misc]
    "InputFormat", {**{f.value: f.value for f in TableFormat}, "trees": "trees", "text": "text"}
)
"""``--input-format``: every table format (:mod:`sentiment_cli.formats`), sentiment trees, or plain text."""


InputFormatOpt = Annotated[
    InputFormat | None,
    typer.Option(
        "--input-format",
        help="Read input files as this format (text: plain text, predict only; trees: one bracketed sentiment "
        "tree per line, as the Stanford Sentiment Treebank's, train and evaluate only). Default for train and "
        "evaluate: detected from the extension, then the content (a .txt table such as NSMC's ratings_train.txt "
        "is found, and so is a file of trees); "
        "for predict: .csv, .tsv, .jsonl and .parquet files are tables, other files and standard input plain text.",
        case_sensitive=False,
        show_default=False,
        rich_help_panel=_DATA,
    ),
]
class TreeNodes(StrEnum):
    phrases = "phrases"
    sentences = "sentences"


TreeNodesOpt = Annotated[
    TreeNodes,
    typer.Option(
        help="Of a file of sentiment trees: every labelled phrase a row (phrases: 'not bad' teaches what "
        "negation does) or the sentences only (the roots).",
        case_sensitive=False,
        rich_help_panel=_DATA,
    ),
]
TextColumnOpt = Annotated[
    str | None,
    typer.Option(
        help="The column holding the review text (a name, or a 1-based position). Default: a column named "
        "text, review, document, sentence, content, tweet, body, comment... else the longest text column.",
        show_default=False,
        rich_help_panel=_DATA,
    ),
]
LabelColumnOpt = Annotated[
    str | None,
    typer.Option(
        help="The column holding the label (a name, or a 1-based position; 'rating' for an aclImdb folder's "
        "1-10 ratings). Default: label, sentiment, polarity, rating, stars, score, target, class...",
        show_default=False,
        rich_help_panel=_DATA,
    ),
]
IdColumnOpt = Annotated[
    str | None,
    typer.Option(
        help="A column identifying each row, written as 'id' beside each record's FILE:LINE (predict, "
        "evaluate --predictions). Default: a column named id, review_id, tweet_id, uid... else the one column "
        "named *_id, *Id, uuid or guid, when the table has it (said on stderr); '' for none.",
        show_default=False,
        rich_help_panel=_DATA,
    ),
]
LabelMapOpt = Annotated[
    str | None,
    typer.Option(
        help="Map raw labels to classes, e.g. '1-2=negative,3=drop,4-5=positive' (ranges, single values, "
        "* for the rest; drop leaves rows out, counted). Default: labels are recognised (0/1, neg/pos, "
        "true/false, 0/4, negative/neutral/positive...) or used as they are.",
        show_default=False,
        rich_help_panel=_DATA,
    ),
]
def _encoding(value: str | None) -> str | None:
    if value is None:
        return None
    from ..textio import check_encoding

    try:
        return check_encoding(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


EncodingOpt = Annotated[
    str | None,
    typer.Option(
        callback=_encoding,
        help="Read text files, lines and tables (CSV, TSV, JSON Lines) in this encoding, e.g. cp1252 for a CSV "
        "saved by Excel on Windows, latin-1, shift_jis. Default: UTF-8 (and UTF-16/32 with a byte-order mark); "
        "bytes that do not decode become U+FFFD, counted in one warning.",
        show_default=False,
        rich_help_panel=_DATA,
    ),
]
HeaderOpt = Annotated[
    bool | None,
    typer.Option(
        "--header/--no-header",
        help="Whether the first row of a CSV/TSV table names its columns. Default: detected (a known column "
        "name, or a row of names above rows of values).",
        show_default=False,
        rich_help_panel=_DATA,
    ),
]


class ReportFormat(StrEnum):
    """How train, evaluate and inspect print their one result: a table for people, one JSON object for scripts."""

    table = "table"
    json = "json"


FormatOpt = Annotated[
    ReportFormat,
    typer.Option("--format", "-f", help="table, or json for scripts.", case_sensitive=False),
]


def check_threshold(threshold: float | None, labels: tuple[str, ...]) -> None:
    """``--threshold`` is a two-class model's; for more classes the most probable one is the label."""
    from ..runtime import check_threshold as check

    try:
        check(threshold, labels)
    except ValueError as exc:
        raise typer.BadParameter(str(exc).removeprefix("threshold "), param_hint="--threshold") from None


def model_files(model: Path | None) -> list[tuple[str, Path]]:
    """The files of the model a command reads (``--model``, else the shipped one), as inputs for
    :func:`check_output`: its card and every file the card lists (and the usual ones, listed or not). A
    ``.keras`` file is itself the model's file. The card is read only when it is a regular file of a sane size
    (a FIFO is never opened to wait: reading the model refuses it later)."""
    import json
    import stat

    from .. import bundle

    directory = bundle.default_model_dir() if model is None else model
    if directory.is_file():
        return [("the model", directory)]
    names = {bundle.CARD_FILE, bundle.TOKENIZER_FILE, bundle.KERAS_FILE, bundle.LITERT_FILE, bundle.NGRAMS_FILE,
             "report.html"}  # fmt: skip
    card = directory / bundle.CARD_FILE
    try:
        status = card.stat()
        if stat.S_ISREG(status.st_mode) and status.st_size <= bundle.MAX_CARD_BYTES:
            listed = json.loads(card.read_bytes()).get("files", {})
            names |= {name for name in listed if isinstance(name, str) and name and Path(name).name == name}
    except (OSError, ValueError, AttributeError, RecursionError):
        pass  # no readable card: the model is refused when it is read
    return [(f"a file of the model {directory}", directory / name) for name in sorted(names)]


def check_output(
    option: str,
    path: Path | None,
    inputs: Sequence[tuple[str, str | Path]] = (),
    *,
    model: Path | None = None,
    writable: bool = True,
) -> None:
    """The one check of an output file of predict, evaluate and inspect (``-o``, ``--predictions``, ``--report``)
    before any work, with :func:`~sentiment_cli.files.clash` (which ``score OUTPUT`` and ``train --out`` use in
    the library): never one of ``inputs`` nor a file of ``model`` (None: the shipped one), a usage error naming
    ``option``; and (``writable``) in a place that can be written: an
    :class:`~sentiment_cli.errors.OutputError`, as when it turns out unwritable later (exit 1)."""
    if path is None:
        return
    from ..files import check_writable, clash

    problem = clash(path, [*inputs, *model_files(model)])
    if problem is not None:
        raise typer.BadParameter(problem, param_hint=option)
    if writable:
        check_writable(path)


def read_labelled(data: Path, input_format: InputFormat | None, **columns: Any) -> Any:
    """Read labelled data as the CLI's data options say (``columns``: the column, label map and header options,
    and ``classes``/``scheme`` for a trained model), then say on stderr what was read and skipped."""
    from ..data import TableOptions, load_dataset
    from ..textio import reading_as
    from . import console

    model = {key: columns.pop(key) for key in ("classes", "scheme") if key in columns}
    encoding = columns.pop("encoding", None)
    options = TableOptions(input_format=None if input_format is None else input_format.value, **columns)
    with console.status(f"Reading {data}"), reading_as(encoding):
        dataset = load_dataset(data, options, **model)
    console.report_dataset(dataset)
    return dataset


def report_target(path: Path) -> str:
    """A ``--report`` target's kind, checked before any long work; a wrong suffix is a usage error."""
    from ..reports import check_target

    try:
        return check_target(path)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--report") from None


FEW_PER_CLASS = 50
"""Fewer training reviews than this in a class, and the metrics mean little (a warning says so)."""


def rating_label_map(classes: Sequence[str]) -> str | None:
    """For classes that are whole numbers, more than two of them in a row (1-5 stars, 0-4, 1-10), the label map
    that makes them negative and positive: the lower half negative, the upper positive, the middle one (of an
    odd count) dropped, e.g. ``1-2=negative,3=drop,4-5=positive``. None for other classes."""
    try:
        values = sorted(int(name) for name in classes)
    except ValueError:
        return None
    if len(values) < 3 or values[0] < 0 or values != list(range(values[0], values[0] + len(values))):
        return None
    half = len(values) // 2

    def span(part: list[int]) -> str:
        return str(part[0]) if len(part) == 1 else f"{part[0]}-{part[-1]}"

    middle = [f"{values[half]}=drop"] if len(values) % 2 else []
    return ",".join([f"{span(values[:half])}=negative", *middle, f"{span(values[-half:])}=positive"])


def warn_about_classes(dataset: Any, label_map: str | None) -> None:
    """The guesses ``train`` made about the classes, said on stderr with how to change them: ratings (1-5
    stars) taken as that many classes, and classes too small for the metrics to mean anything."""
    from . import console

    suggested = None if label_map else rating_label_map(dataset.classes)
    if suggested is not None:
        console.note(
            f"the labels are {len(dataset.classes)} ratings ({', '.join(dataset.classes)}), trained as "
            f"{len(dataset.classes)} classes; for positive and negative: --label-map '{suggested}'"
        )
    train = dataset.splits.get("train")
    if train is None:
        return
    import numpy as np

    counts = np.bincount(np.asarray(train.labels, dtype=np.int64), minlength=len(dataset.classes))
    small = [f"{name} {int(n):,}" for name, n in zip(dataset.classes, counts, strict=True) if n < FEW_PER_CLASS]
    if small:
        console.warning(
            f"few training reviews per class ({', '.join(small)}; fewer than {FEW_PER_CLASS}): the model and its "
            "metrics will mean little"
        )
