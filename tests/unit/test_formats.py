"""The one registry of table formats (sentiment_cli.formats): every extension it names is read by the tables as
that format, taken as a table by predict, and offered by every CLI option and engine that lists formats."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer

from sentiment_cli import spark, tables
from sentiment_cli.cli.options import InputFormat
from sentiment_cli.cli.score import ScoreFormat
from sentiment_cli.cli.writers import PredictFormat, prediction_file_format
from sentiment_cli.formats import TABLE_SUFFIXES, TableFormat, file_format_of, table_format_of
from sentiment_cli.reviews import TableInput, is_table

ROWS = [{"text": "A wonderful film.", "label": "1"}, {"text": "Dull, and far too long.", "label": "0"}]


def write_table(path: Path, fmt: TableFormat) -> Path:
    """ROWS in ``fmt`` at ``path`` (gzip-compressed when its name ends .gz)."""
    if fmt is TableFormat.parquet:
        pq.write_table(pa.Table.from_pylist(ROWS), path)
        return path
    if fmt is TableFormat.jsonl:
        text = "".join(json.dumps(row) + "\n" for row in ROWS)
    else:
        sep = "\t" if fmt is TableFormat.tsv else ","
        text = "".join(sep.join(row) + "\n" for row in [["text", "label"], *([r["text"].replace(",", ""), r["label"]]
                                                                              for r in ROWS)])  # fmt: skip
    data = text.encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def test_the_extensions_and_what_they_name():
    """The registry as the docs give it (docs/predict.md): a wrong or missing entry fails here."""
    assert {suffix: fmt.value for suffix, fmt in TABLE_SUFFIXES.items()} == {
        ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
        ".parquet": "parquet", ".pq": "parquet",
    }  # fmt: skip
    assert set(TABLE_SUFFIXES.values()) == set(TableFormat)  # every format has an extension


@pytest.mark.parametrize(
    "name",
    [f"reviews{suffix}" for suffix in TABLE_SUFFIXES]
    + [f"reviews{suffix.upper()}.gz" for suffix, fmt in TABLE_SUFFIXES.items() if not fmt.binary],
)
def test_every_registered_extension_is_read_by_the_tables_as_its_format(tmp_path, name):
    fmt = table_format_of(name)
    assert fmt is not None
    path = write_table(tmp_path / name, fmt)
    assert tables.detect_format(path) == fmt.value
    table = tables.open_table(path)
    assert table.format == fmt.value
    texts = [r.values["text"] for chunk in table.records() for r in chunk]
    assert texts == [r["text"].replace(",", "") if fmt in ("csv", "tsv") else r["text"] for r in ROWS]
    assert is_table(str(path), TableInput())  # predict reads it as a table, by its name


def test_names_without_a_table_extension():
    for name in ("review.txt", "reviews", "csv", ".csv", "notes.csv.txt", "a.gz", "folder.csv/review.txt"):
        assert table_format_of(name) is None, name
        assert not is_table(name, TableInput()), name
    assert table_format_of("dir/A.TSV.GZ") is TableFormat.tsv
    assert table_format_of(Path("x.pq")) is TableFormat.parquet
    # a file to write is never compressed: out.csv.gz names no format to write
    assert file_format_of("out.csv.gz") is None and file_format_of("OUT.Parquet") is TableFormat.parquet


def test_every_format_is_offered_where_formats_are_listed():
    every = [f.value for f in TableFormat]
    assert list(tables.FORMATS) == every
    assert sorted(spark.FORMATS) == sorted(every) and spark.FORMATS[0] == "parquet"
    assert [f.value for f in InputFormat] == [*every, "trees", "text"]
    assert sorted(f.value for f in ScoreFormat) == sorted(every)
    streamed = [f.value for f in TableFormat if not f.binary]
    assert sorted(f.value for f in PredictFormat) == sorted(["auto", "table", *streamed])


@pytest.mark.parametrize(("suffix", "fmt"), list(TABLE_SUFFIXES.items()))
def test_every_registered_extension_is_a_prediction_file(suffix, fmt):
    assert prediction_file_format(Path(f"out{suffix}"), "--output") == fmt.value
    assert prediction_file_format(Path(f"OUT{suffix.upper()}"), "--output") == fmt.value
    if not fmt.binary:  # predict --format accepts it, and the writers write it
        assert PredictFormat(fmt.value).value == fmt.value


def test_other_extensions_are_refused_for_predictions():
    for name in ("out.txt", "out.csv.gz", "out"):
        with pytest.raises(typer.BadParameter, match=r"give the file a \.jsonl"):
            prediction_file_format(Path(name), "--output")


def test_spark_reads_a_folder_by_its_files_extensions(tmp_path):
    for suffix, fmt in TABLE_SUFFIXES.items():
        folder = tmp_path / suffix.strip(".")
        folder.mkdir()
        (folder / f"part-0{suffix}").write_bytes(b"")
        (folder / f"part-1{suffix}.gz").write_bytes(b"")
        (folder / "_SUCCESS").write_bytes(b"")
        assert spark._format_of(str(folder), None) == fmt.value
    (tmp_path / "csv" / "x.tsv").write_bytes(b"")
    with pytest.raises(Exception, match=r"several formats \(csv, tsv\)"):
        spark._format_of(str(tmp_path / "csv"), None)
