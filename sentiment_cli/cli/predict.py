"""``sentiment predict``: classify reviews from files or standard input."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .._quiet import is_terminal
from ..formats import TableFormat, file_format_of
from ..records import prediction_columns
from . import console, writers
from . import errors as cli_errors
from .options import (
    EncodingOpt,
    HeaderOpt,
    IdColumnOpt,
    InputFormatOpt,
    ModelOpt,
    TextColumnOpt,
    ThresholdOpt,
    check_output,
    check_threshold,
)
from .writers import PredictFormat

if TYPE_CHECKING:
    from ..reviews import TableInput


def predict(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Review files (each file is one review), or - for standard input (each non-empty line "
            "is one review; a table with --input-format csv, tsv, jsonl or parquet). With none, standard input "
            "is read when it is not a terminal.",
            show_default=False,
        ),
    ] = None,
    model: ModelOpt = None,
    per_line: Annotated[
        bool, typer.Option("--per-line", help="Treat each non-empty line of a FILE as one review.")
    ] = False,
    whole: Annotated[
        bool,
        typer.Option(
            "--whole",
            help="Treat all of standard input as one review; of a FILE (one review by default), say so: no "
            "notice that a file of several lines was read as one review.",
        ),
    ] = False,
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
            help="Show how much each word pushed the prediction, in log-odds (of positive; of the predicted class "
            "for more): each n-gram's exact share of the bag's logit split among its words, plus the BiLSTM's "
            "change when the word is left out (seed models: that change alone). Coloured on a terminal; an "
            "'explanation' list with character offsets (and 'phrases') in JSON lines.",
        ),
    ] = False,
    threshold: ThresholdOpt = None,
    input_format: InputFormatOpt = None,
    text_column: TextColumnOpt = None,
    id_column: IdColumnOpt = None,
    keep_columns: Annotated[
        str | None,
        typer.Option(
            help="Input columns to copy into each output record, comma-separated (tables only).",
            show_default=False,
            rich_help_panel="Reading your data",
        ),
    ] = None,
    header: HeaderOpt = None,
    encoding: EncodingOpt = None,
    csv_safe: Annotated[
        bool,
        typer.Option(
            "--csv-safe/--no-csv-safe",
            help="In CSV and TSV output, put a ' before a text cell a spreadsheet would run as a formula "
            "(one starting with = + - @, a tab or a carriage return; numbers such as -3 are kept as they are).",
        ),
    ] = True,
    output_file: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the results to this file instead of stdout: .parquet, .csv, .tsv or .jsonl (.json and "
            ".ndjson are JSON lines too; the format follows the extension unless --format is given).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Classify reviews in files, tables or standard input.

    Tables give one record per row. Each record names its source (the file, FILE:LINE for a table row or a line, or
    <stdin>:LINE), the label and the probability (two classes: of positive; more: of
    the label, and every class's probability). Tables (.csv, .tsv, .jsonl, .parquet,
    optionally .gz; or --input-format) give one record per row, in input order; a
    plain .txt file is one review. Results stream: each batch is printed as soon as it
    is classified, so 'tail -f reviews.log | sentiment predict -' works.

    Examples:

    \b
      sentiment predict review.txt
      cat reviews.txt | sentiment predict - --format csv
      curl -s https://example.com/r.csv | sentiment predict - --input-format csv
      sentiment predict reviews.csv --text-column review -o scored.parquet
      sentiment predict --per-line reviews.txt --model my-model
      sentiment predict review.txt --explain
    """
    if input_format is not None and input_format.value == "trees":
        raise typer.BadParameter(
            "sentiment trees are labelled data: train or evaluate on them", param_hint="--input-format"
        )
    sources = list(inputs or [])
    if not sources:
        if sys.stdin is None or sys.stdin.isatty():
            raise typer.BadParameter("give review files, or - to read standard input", param_hint="INPUTS")
        sources = ["-"]
    if sources.count("-") > 1:
        raise typer.BadParameter("standard input (-) can be read only once", param_hint="INPUTS")
    table_on_stdin = "-" in sources and input_format not in (None, "text")
    if "-" in sources and sys.stdin is not None and sys.stdin.isatty():
        end = "all of it is one review" if whole else "each line is one review"
        if table_on_stdin:
            end = f"a {input_format.value.upper()} table"
        console.note(f"Reading reviews typed here ({end}); Ctrl-D on a line of its own ends.")

    keep = tuple(c.strip() for c in (keep_columns or "").split(",") if c.strip())
    file_format = None
    if output_file is not None:
        if file_format_of(output_file) is TableFormat.parquet:
            if fmt is not PredictFormat.auto:
                raise typer.BadParameter(
                    f"a .parquet file is written as Parquet, not {fmt.value}: drop --format or change the extension",
                    param_hint="--output",
                )
            file_format = "parquet"
        elif fmt is not PredictFormat.auto:
            file_format = fmt.value
        else:
            file_format = writers.prediction_file_format(output_file, "--output", "or pass --format")
        if file_format == "table":
            raise typer.BadParameter(
                "a table is for a terminal; use jsonl, csv, tsv or .parquet", param_hint="--output"
            )
    elif fmt is PredictFormat.auto and not explain and (redirected := writers.redirected_file()) is not None:
        name, chosen_format = redirected
        fmt = PredictFormat(chosen_format)
        console.note(f"Writing {chosen_format.upper()}: standard output is {name} (--format jsonl for JSON lines)")
    if explain and (fmt in (PredictFormat.csv, PredictFormat.tsv) or file_format not in (None, "jsonl")):
        raise typer.BadParameter("--explain needs --format table or jsonl", param_hint="--explain")
    check_output("--output", output_file, [("an input", source) for source in sources if source != "-"], model=model)
    if table_on_stdin and whole:
        raise typer.BadParameter(
            f"--whole reads standard input as one review, --input-format {input_format.value} as a table: "
            "give one of them",
            param_hint="--whole",
        )

    from ..bundle import read_bundle
    from ..reviews import Note, Problem, TableInput, read_sources
    from ..runtime import Predictor

    predictor = Predictor(read_bundle(model, purpose="predict"))
    check_threshold(threshold, predictor.labels)
    reserved = {c.name for c in prediction_columns(predictor.labels, with_id=True)}
    clash = sorted(set(keep) & (reserved | {"probabilities", "explanation"}))
    if clash or len(set(keep)) != len(keep):
        what = f"{', '.join(clash)} would overwrite the output's own fields" if clash else "a column is named twice"
        raise typer.BadParameter(what, param_hint="--keep-columns")
    fmt_name = None if input_format is None else input_format.value
    table = TableInput(fmt_name, text_column, id_column, keep, header)
    if not _warn_unused(sources, table, whole, per_line):  # no table: no id or kept columns to write
        keep, table = (), table._replace(id_column=None, keep_columns=())
    # a plain file of several lines is one review, a guess the user is told about once (unless a flag said so)
    from ..reviews import is_table

    whole_files = set() if per_line or whole else {s for s in sources if s != "-" and not is_table(s, table)}
    # the id column: as given, or (None) an id-like one a table turns out to have, said by its Note before
    # its first row: the writer is made at the first write, when whether records carry an id is known
    carried: dict[str, Any] = {"id": table.id_column or None, "writer": None, "written": 0}
    from ..textio import reading_as

    with writers.result_file(output_file) as target, contextlib.ExitStack() as closing:
        closing.enter_context(reading_as(encoding))

        def make_writer() -> Any:
            types = None
            if file_format == "parquet":
                from ..arrow import carried_types

                tables = [s for s in sources if s != "-" and is_table(s, table)]
                types = carried_types(tables, carried["id"], keep)
            return writers.open_writer(
                target, file_format or fmt, predictor.labels, closing, with_id=carried["id"] is not None, keep=keep,
                carried=types, csv_safe=csv_safe,
            )  # fmt: skip

        def write(predictions: list) -> None:
            if not predictions:
                return
            if carried["writer"] is None:
                carried["writer"] = make_writer()
            writer = carried["writer"]
            carried["written"] += len(predictions)
            explained = None
            if explain:
                from ..explain import explain as explain_one

                explained = [explain_one(predictor, p.text) if getattr(p, "label", None) else None for p in predictions]
            writer.write(predictions, explained)

        failed = False
        unscored, first_unscored = 0, ""  # a count and the first name, not a list: memory bounded however long
        chunks = read_sources(sources, sys.stdin.buffer, per_line=per_line, whole=whole, table=table)
        progress, done, done_bytes = None, 0, 0
        if is_terminal(sys.stderr) and (output_file is not None or not is_terminal(sys.stdout)):
            # results to a file or pipe, a person watching stderr: a bar once the run takes more than a second
            bar = console.progress("Classifying", _input_bytes(sources, table), by_bytes=True, delay=1.0)
            progress = closing.enter_context(bar)
        for chunk in predictor.stream(chunks, threshold):
            if progress is not None:
                reviews = [item.text for item in chunk if hasattr(item, "text")]
                done += len(reviews)
                done_bytes += sum(len(text.encode("utf-8", "replace")) + 1 for text in reviews)
                progress(done, done_bytes)
            predictions = []
            for item in chunk:
                if isinstance(item, Note):
                    if item.id_column is not None and carried["writer"] is None:
                        carried["id"] = item.id_column
                        console.note(f"{item.message}; its ids written as 'id' (--id-column NAME: another column; "
                                    "--id-column '': none)")
                    else:
                        console.note(item.message)
                    if item.id_column is not None and carried["id"] is None:
                        console.warning(f"{item.source}: its id column {item.id_column!r} is not carried: the "
                                       "records before it had none (give --id-column to carry it)")
                elif isinstance(item, Problem):
                    write(predictions)  # in input order: the results before the problem, then the problem
                    predictions = []
                    (console.error if item.fatal else console.warning)(item.message)
                    failed = failed or item.fatal
                else:
                    if hasattr(item, "text") and item.label is None:  # an Empty row (no text) has no label field
                        unscored += 1
                        first_unscored = first_unscored or item.source
                    if item.source in whole_files and _several_lines(item.text):
                        console.note(_several_lines(item.text) + f" of {item.source} read as one review, as a plain "
                                    "file is (--per-line: one review per line; --whole: one review, no notice)")
                        whole_files = set()  # said once a run, for the first such file
                    predictions.append(item)
            write(predictions)
        if carried["writer"] is None:  # nothing to write: the file (-o) is made all the same, as before
            carried["writer"] = make_writer()
    if output_file is not None:  # as evaluate --predictions says it: the file is there, with this many records
        console.note(f"Wrote {_predictions(carried['written'])} to {output_file}")
    if unscored:
        console.warning(
            f"{_reviews(unscored)} had no word or n-gram the model knows (first: {first_unscored}); "
            "the model does not guess: label and probability left empty"
        )
    if failed:
        raise typer.Exit(cli_errors.EXIT_FAILURE)


def _input_bytes(sources: list[str], table: TableInput) -> int | None:
    """The size of the named files, which the bar counts the reviews' bytes toward: only plain text files,
    whose reviews are their bytes. None (the bar counts reviews, with no end) for standard input and for
    tables, whose other columns, quoting and compression make the file's size no measure of its text."""
    from ..reviews import is_table

    if "-" in sources or any(is_table(source, table) for source in sources):
        return None
    try:
        return sum(Path(source).stat().st_size for source in sources)
    except OSError:
        return None


def _warn_unused(sources: list[str], table: TableInput, whole: bool, per_line: bool) -> bool:
    """Options that no input uses are said to be unused, not silently ignored. Returns whether an input
    is a table."""
    from ..reviews import is_table

    tables = any(is_table(source, table) for source in sources)
    if not tables:
        given = [flag for flag, value in (("--text-column", table.text_column), ("--id-column", table.id_column),
                 ("--keep-columns", table.keep_columns), ("--header/--no-header", table.header)) if value not in
                 (None, ())]  # fmt: skip
        if given:
            console.warning(
                f"{', '.join(given)} {'apply' if len(given) > 1 else 'applies'} to tables (.csv, .tsv, .jsonl, "
                ".parquet, or --input-format), and no input is one: unused"
            )
    if per_line and all(source == "-" or is_table(source, table) for source in sources):
        console.warning(
            "--per-line applies to plain text files; tables and standard input are read by row or line: unused"
        )
    return tables


def _several_lines(text: str) -> str:
    """``"5 lines"`` for a text of several non-empty lines, else ``""``."""
    lines = sum(1 for line in text.splitlines() if line.strip())
    return f"{lines:,} lines" if lines > 1 else ""


def _predictions(n: int) -> str:
    return "1 prediction" if n == 1 else f"{n:,} predictions"


def _reviews(n: int) -> str:
    return "1 review" if n == 1 else f"{n:,} reviews"
