"""The table reader: every format, line numbers, bad records reported where they are, column choice."""

import codecs
import gzip
from pathlib import Path

import pytest

from sentiment_cli.errors import DataError
from sentiment_cli.tables import (
    FORMATS,
    ColumnChoice,
    Malformed,
    ReadCounts,
    Record,
    choose_columns,
    detect_format,
    open_table,
)
from sentiment_cli.textio import INVALID_HINT


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def items(table, chunk_size=1024):
    return [item for chunk in table.records(chunk_size) for item in chunk]


def rows(table, *names):
    """(line, values...) of the good records; Malformed as (line, reason)."""
    out = []
    for item in items(table):
        if isinstance(item, Record):
            out.append((item.line, *(item.values[name] for name in names)))
        else:
            out.append((item.line, item.reason))
    return out


def error(call, *args, **kwargs) -> str:
    with pytest.raises(DataError) as caught:
        call(*args, **kwargs)
    return caught.value.message


# -- CSV --------------------------------------------------------------------------------------


def test_csv_records_with_start_lines_and_counts(tmp_path):
    path = write(tmp_path / "data.csv", 'id,review,label\n1,"Good, really",1\n\n2,Bad,0\n')
    table = open_table(path)
    assert (table.format, table.delimiter, table.quoted, table.has_header) == ("csv", ",", True, True)
    assert table.columns == ["id", "review", "label"]
    assert items(table) == [
        Record(2, {"id": "1", "review": "Good, really", "label": "1"}),
        Record(4, {"id": "2", "review": "Bad", "label": "0"}),
    ]
    assert table.counts == ReadCounts(lines=4, records=2, malformed=0, blank=1)


def test_records_stream_in_chunks_and_can_be_read_again(tmp_path):
    path = write(tmp_path / "data.csv", "text,label\n" + "".join(f"review {i},{i % 2}\n" for i in range(7)))
    table = open_table(path)
    sizes = [len(chunk) for chunk in table.records(chunk_size=3)]
    assert sizes == [3, 3, 1]
    assert table.counts == ReadCounts(lines=8, records=7, malformed=0, blank=0)
    again = items(table, chunk_size=100)
    assert [item.line for item in again] == [2, 3, 4, 5, 6, 7, 8]
    assert again[-1].values == {"text": "review 6", "label": "0"}
    assert [record.values["text"] for record in table.sample(2)] == ["review 0", "review 1"]
    with pytest.raises(ValueError):
        next(table.records(chunk_size=0))


def test_wrong_field_counts_are_malformed_never_padded(tmp_path):
    path = write(tmp_path / "data.csv", "text,label\ngood,1\nno label\nbad,0,extra\nfine,0\n")
    table = open_table(path)
    assert rows(table, "text", "label") == [
        (2, "good", "1"),
        (3, "1 field, expected 2"),
        (4, "3 fields, expected 2"),
        (5, "fine", "0"),
    ]
    assert table.counts == ReadCounts(lines=5, records=2, malformed=2, blank=0)


def test_multiline_quoted_field_is_one_record_with_its_start_line(tmp_path):
    content = 'id,review,label\n1,"First paragraph.\nSecond, with a comma.\nThird ""quoted"" end",1\n2,short,0\n'
    table = open_table(write(tmp_path / "data.csv", content))
    assert rows(table, "id", "review", "label") == [
        (2, "1", 'First paragraph.\nSecond, with a comma.\nThird "quoted" end', "1"),
        (5, "2", "short", "0"),
    ]
    assert table.counts == ReadCounts(lines=5, records=2, malformed=0, blank=0)


def test_multiline_field_in_a_two_column_csv_is_not_mistaken_for_swallowed_rows(tmp_path):
    content = 'text,label\nfine,0\n"Loved it.\nActing, music\nall great, really",1\nok,1\nmeh,0\n'
    table = open_table(write(tmp_path / "data.csv", content))
    assert rows(table, "text", "label") == [
        (2, "fine", "0"),
        (3, "Loved it.\nActing, music\nall great, really", "1"),
        (6, "ok", "1"),
        (7, "meh", "0"),
    ]


def test_unterminated_quote_is_reported_not_swallowing_rows_silently(tmp_path):
    content = 'id,review,label\n1,good,1\n2,"broken,0\n3,fine,1\n4,also fine,0\n'
    table = open_table(write(tmp_path / "data.csv", content))
    assert rows(table, "review") == [
        (2, "good"),
        (3, "quoted field opened here runs to the end of the file, swallowing lines 4-5"),
    ]
    assert table.counts == ReadCounts(lines=5, records=1, malformed=1, blank=0)


def test_unterminated_quote_on_the_last_line(tmp_path):
    table = open_table(write(tmp_path / "data.csv", 'text,label\ngood,1\n"open,0'))
    assert rows(table, "text") == [(2, "good"), (3, "quoted field opened here runs to the end of the file")]


def test_quote_swallowing_rows_in_the_middle_is_malformed(tmp_path):
    content = (
        "id,review,label\n"
        "1,good,1\n"
        "2,fine,0\n"
        '3,"stray quote,1\n'  # line 4: opens a quote ...
        "4,swallowed,0\n"
        "5,swallowed too,1\n"
        '6,"closes it",0\n'  # line 7: ... closed here
        "7,after,1\n"
    )
    table = open_table(write(tmp_path / "data.csv", content))
    assert rows(table, "id", "review") == [
        (2, "1", "good"),
        (3, "2", "fine"),
        (4, "a quote opened at line 4 swallowed lines 5-7"),
        (8, "7", "after"),
    ]
    assert table.counts == ReadCounts(lines=8, records=3, malformed=1, blank=0)


def test_semicolon_csv(tmp_path):
    table = open_table(write(tmp_path / "data.csv", "text;label\nGood, very good;1\nBad;0\n"))
    assert (table.format, table.delimiter) == ("csv", ";")
    assert rows(table, "text", "label") == [(2, "Good, very good", "1"), (3, "Bad", "0")]


def test_header_review_text_rating_and_crlf(tmp_path):
    table = open_table(write(tmp_path / "data.csv", 'Review Text,Rating\r\n"Nice, cosy",5\r\n"Two\r\nlines",1\r\n'))
    assert table.columns == ["Review Text", "Rating"]
    assert rows(table, "Review Text", "Rating") == [(2, "Nice, cosy", "5"), (3, "Two\r\nlines", "1")]
    choice = choose_columns(table, need_label=True)
    assert choice == ColumnChoice(text="Review Text", label="Rating", id=None, guessed=("text", "label"))


def test_bom_is_dropped_from_the_first_header_cell(tmp_path):
    table = open_table(write(tmp_path / "data.csv", codecs.BOM_UTF8 + b"text,label\nok,1\n"))
    assert table.columns == ["text", "label"]
    assert items(table) == [Record(2, {"text": "ok", "label": "1"})]


def test_invalid_utf8_is_replaced(tmp_path):
    table = open_table(write(tmp_path / "data.tsv", b"text\tlabel\ncaf\xe9 ok\t1\n"))
    assert rows(table, "text", "label") == [(2, "caf\ufffd ok", "1")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("data.csv", "text,label\nok,1\nbad\0,0\n", "data.csv: not a text table (NUL bytes at line 3)"),
        ("data.txt", "\0\0\0binary", "data.txt: not a text table (NUL bytes at line 1)"),
        ("data.csv", "", "data.csv: no records"),
        ("data.tsv", "text\tlabel\n\n", "data.tsv: no records"),
        ("data.jsonl", "\n\n", "data.jsonl: no records"),
        ("data.txt", "Just a review, with a comma.\nAnd another line.\n", "data.txt: not a table"),
    ],
)
def test_unreadable_tables(tmp_path, monkeypatch, name, content, message):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / name, content)
    assert error(open_table, name).startswith(message)


def test_nul_byte_after_the_head_is_raised_while_reading(tmp_path):
    content = "text,label\n" + "fine,1\n" * 300 + "bad\0,0\n"
    table = open_table(write(tmp_path / "data.csv", content))
    assert error(items, table) == f"{tmp_path / 'data.csv'}: not a text table (NUL bytes at line 302)"
    read = []
    with pytest.raises(DataError, match="NUL bytes at line 302"):
        for chunk in table.records(chunk_size=256):
            read += chunk
    assert [r.line for r in read] == list(range(2, 302))  # every row before the fault, the last chunk's too
    assert table.counts.records == 300


def test_invalid_utf8_is_replaced_and_counted(tmp_path):
    from sentiment_cli.tables import invalid_utf8

    path = tmp_path / "data.csv"
    path.write_bytes(b"text,label\nA great \xff film,1\nfine,0\nbad \xfe\xfe,0\n")
    table = open_table(path)
    rows = [r for chunk in table.records() for r in chunk]
    assert rows[0].values["text"] == "A great \ufffd film" and rows[2].values["text"] == "bad \ufffd\ufffd"
    assert (table.counts.invalid_utf8, table.counts.first_invalid_utf8) == (2, 2)
    said = f"{path}: invalid UTF-8 (2 lines, the first line 2), replaced with U+FFFD; {INVALID_HINT}"
    assert invalid_utf8(table) == said
    path.write_bytes(b"text,label\nfine,1\n")
    clean = open_table(path)
    list(clean.records())
    assert invalid_utf8(clean) is None


def test_missing_file_and_folder(tmp_path):
    assert error(open_table, tmp_path / "nope.csv") == f"{tmp_path / 'nope.csv'}: no such file"
    assert error(open_table, tmp_path) == f"{tmp_path}: is a directory"


# -- TSV --------------------------------------------------------------------------------------


def test_nsmc_layout_with_stray_quotes_reads_every_row(tmp_path):
    lines = [
        "id\tdocument\tlabel",
        '9976970\t아 더빙.. 진짜 짜증나네요 "목소리\t0',
        '3819312\t"흠...포스터보고 초딩영화줄....\t1',
        "10265843\t너무재밓었다그래서보는것을추천한다\t0",
        '9045019\t교도소 이야기구먼 ..솔직히 재미는 없다.."평점 조정\t0',
        '6483659\t"사이몬페그"의 익살스런 연기가 돋보였던 영화!\t1',
        "5403919\t\t0",
    ]
    path = write(tmp_path / "ratings_train.txt", "\n".join(lines) + "\n")
    assert detect_format(path) == "tsv"
    table = open_table(path)
    assert (table.format, table.delimiter, table.quoted, table.has_header) == ("tsv", "\t", False, True)
    assert table.columns == ["id", "document", "label"]
    expected = [(n, *line.split("\t")) for n, line in enumerate(lines[1:], 2)]
    assert rows(table, "id", "document", "label") == expected
    assert table.counts == ReadCounts(lines=7, records=6, malformed=0, blank=0)
    assert choose_columns(table, need_label=True) == ColumnChoice("document", "label", "id", ("text", "label", "id"))


def test_tsv_wrong_tab_counts_and_crlf(tmp_path):
    content = 'text\tlabel\r\nHe said "great\t1\r\nno tab here\r\n\r\na\tb\tc\r\nlast\t0'
    table = open_table(write(tmp_path / "data.tsv", content))
    assert rows(table, "text", "label") == [
        (2, 'He said "great', "1"),
        (3, "1 field, expected 2"),
        (5, "3 fields, expected 2"),
        (6, "last", "0"),
    ]
    assert table.counts == ReadCounts(lines=6, records=2, malformed=2, blank=1)


def test_consistently_quoted_tsv_uses_quoting_rules(tmp_path):
    content = '"text"\t"label"\n"He said ""hi"""\t"1"\n"two\nlines"\t"0"\n"tab\tinside"\t"1"\n'
    table = open_table(write(tmp_path / "data.tsv", content))
    assert (table.format, table.quoted) == ("tsv", True)
    assert rows(table, "text", "label") == [(2, 'He said "hi"', "1"), (3, "two\nlines", "0"), (5, "tab\tinside", "1")]


def test_partly_quoted_tsv_keeps_quotes_as_text(tmp_path):
    table = open_table(write(tmp_path / "data.tsv", '"text"\t"label"\n"quoted" start\t1\nplain\t0\n'))
    assert table.quoted is False
    assert rows(table, '"text"', '"label"') == [(2, '"quoted" start', "1"), (3, "plain", "0")]


def test_headerless_tsv_is_numbered_and_columns_guessed_by_content(tmp_path):
    content = "1\tA wonderful, moving film.\n0\tDull.\n1\tGreat fun from start to end.\n0\tAwful plot.\n"
    table = open_table(write(tmp_path / "reviews.txt", content))
    assert (table.format, table.has_header, table.columns) == ("tsv", False, ["1", "2"])
    assert rows(table, "1", "2")[0] == (1, "1", "A wonderful, moving film.")
    assert table.counts == ReadCounts(lines=4, records=4, malformed=0, blank=0)
    assert choose_columns(table, need_label=True) == ColumnChoice("2", "1", None, ("text", "label"))
    assert choose_columns(table, text="2", label="1", need_label=True) == ColumnChoice("2", "1", None, ())


def test_explicit_header_and_delimiter(tmp_path):
    path = write(tmp_path / "data.txt", "pos|great\nneg|awful\n")
    table = open_table(path, "csv", header=False, delimiter="|")
    assert (table.columns, table.delimiter) == (["1", "2"], "|")
    assert rows(table, "1", "2") == [(1, "pos", "great"), (2, "neg", "awful")]
    assert open_table(path, "csv", header=True, delimiter="|").columns == ["pos", "great"]
    assert error(open_table, path, "xml") == f"{path}: unknown table format 'xml'"


def test_header_guessed_from_shape(tmp_path):
    table = open_table(write(tmp_path / "data.csv", "Phrase,Sentiment Value,Stars\nnice one,3,x\nbad one,1,y\n"))
    assert table.has_header is True
    table = open_table(write(tmp_path / "data.csv", "good film,pos\nbad film,neg\n"))
    assert (table.has_header, table.columns) == (False, ["1", "2"])


# -- JSON -------------------------------------------------------------------------------------


def test_jsonl_objects_blank_lines_and_bad_lines(tmp_path):
    content = '{"text": "a", "label": 1}\n\n[1, 2]\n{"text": oops}\n{"text": "b", "label": 0, "id": 7}\n'
    table = open_table(write(tmp_path / "data.jsonl", content))
    assert (table.format, table.columns) == ("jsonl", ["text", "label", "id"])
    assert items(table) == [
        Record(1, {"text": "a", "label": 1}),
        Malformed(3, "not a JSON object"),
        Malformed(4, "not valid JSON (Expecting value)"),
        Record(5, {"text": "b", "label": 0, "id": 7}),
    ]
    assert table.counts == ReadCounts(lines=5, records=2, malformed=2, blank=1)


def test_json_array_of_objects(tmp_path):
    content = '[\n  {"text": "a",\n   "label": 1},\n  {"text": "b", "label": 0},\n  "x"\n]\n'
    path = write(tmp_path / "data.json", content)
    assert detect_format(path) == "jsonl"
    table = open_table(path)
    assert items(table) == [
        Record(2, {"text": "a", "label": 1}),
        Record(4, {"text": "b", "label": 0}),
        Malformed(5, "not a JSON object"),
    ]


# -- Parquet and gzip -------------------------------------------------------------------------


def test_parquet_rows_in_batches(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "data.parquet"
    data = {"review": [f"review {i}" for i in range(5)], "label": [i % 2 for i in range(5)]}
    pq.write_table(pa.table(data), path)
    table = open_table(path)
    assert (table.format, table.columns, table.delimiter) == ("parquet", ["review", "label"], None)
    assert [len(chunk) for chunk in table.records(chunk_size=2)] == [2, 2, 1]
    assert items(table)[4] == Record(5, {"review": "review 4", "label": 0})
    assert table.counts == ReadCounts(lines=5, records=5, malformed=0, blank=0)
    assert choose_columns(table, need_label=True) == ColumnChoice("review", "label", None, ("text", "label"))
    renamed = write(tmp_path / "data.bin", path.read_bytes())
    assert detect_format(renamed) == "parquet"
    assert open_table(renamed).format == "parquet"


@pytest.mark.parametrize("kind", ["binary", "large_binary"])
def test_a_parquet_text_column_of_bytes_is_read_as_utf8(tmp_path, kind):
    """Spark, Hive and Impala write strings as un-annotated binary: every row was 'without text' (predict wrote
    null labels with exit 0; train/evaluate skipped every row). Its bytes are now UTF-8 text, invalid bytes
    replaced and counted by row as a text table's lines are; a binary label column is read alike."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from sentiment_cli.data import load_dataset
    from sentiment_cli.reviews import Empty, Problem, Review, TableInput, read_table

    path = tmp_path / "spark.parquet"
    texts = [b"A wonderful film", b"caf\xe9 awful", None, b"The worst movie"]
    labels = [b"pos", b"neg", b"neg", b"neg"]
    pq.write_table(pa.table({"review": pa.array(texts, getattr(pa, kind)()), "label": pa.array(labels)}), path)
    got = [i for chunk in read_table(str(path), TableInput()) for i in chunk]
    assert [(i.source, i.text) for i in got if isinstance(i, Review)] == [
        (f"{path}:1", "A wonderful film"), (f"{path}:2", "caf\ufffd awful"), (f"{path}:4", "The worst movie"),
    ]  # fmt: skip
    assert [i.source for i in got if isinstance(i, Empty)] == [f"{path}:3"]
    assert [(i.message, i.fatal) for i in got if isinstance(i, Problem)] == [
        (f"{path}: invalid UTF-8 (row 2), replaced with U+FFFD", False),
        (f"{path}: 1 row (row 3) without text: written with no label", False),
    ]
    dataset = load_dataset(path)
    assert dataset.split("train").texts == ["A wonderful film", "caf\ufffd awful", "The worst movie"]
    assert dataset.classes == ("negative", "positive") and dataset.messages() == ["skipped 1 row without text: row 3"]
    assert f"{path}: invalid UTF-8 (row 2), replaced with U+FFFD" in dataset.notes


def test_a_parquet_text_column_of_structs_or_lists_is_refused_by_name_and_type(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    for name, values, shown in (
        ("struct", [{"a": "good film"}, {"a": "bad film"}], "a struct (struct<a: string>)"),
        ("list", [["good film"], ["bad film"]], "a list (list<element: string>)"),
        ("ints", [1, 2], "integer (int64)"),
    ):
        path = tmp_path / f"{name}.parquet"
        pq.write_table(pa.table({"text": pa.array(values), "label": ["pos", "neg"]}), path)
        table = open_table(path)
        message = error(choose_columns, table, need_label=True)
        assert message == f"{path}: column 'text' is {shown}, not text (a string or binary column)"


def test_empty_and_broken_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), path)
    assert error(open_table, path) == f"{path}: no records"
    broken = write(tmp_path / "broken.parquet", b"PAR1 this is not parquet")
    assert error(open_table, broken).startswith(f"{broken}: not a readable Parquet file")


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("data.csv.gz", 'text,label\n"a, b",1\nc,0\n', "csv"),
        ("data.tsv.gz", 'text\tlabel\n"a, b\t1\nc\t0\n', "tsv"),
        ("data.jsonl.gz", '{"text": "a, b", "label": "1"}\n{"text": "c", "label": "0"}\n', "jsonl"),
        ("data.gz", 'text\tlabel\n"a, b\t1\nc\t0\n', "tsv"),
        ("data.bin", 'text,label\n"a, b",1\nc,0\n', "csv"),  # gzip found by its magic bytes
    ],
)
def test_gzip_of_each_text_format(tmp_path, name, content, fmt):
    path = write(tmp_path / name, gzip.compress(content.encode()))
    assert detect_format(path) == fmt
    table = open_table(path)
    assert table.format == fmt
    expected_text = '"a, b' if fmt == "tsv" else "a, b"
    assert rows(table, "text", "label") == [
        (2 if fmt != "jsonl" else 1, expected_text, "1"),
        (3 if fmt != "jsonl" else 2, "c", "0"),
    ]


def test_corrupt_gzip(tmp_path):
    whole = gzip.compress(("text,label\n" + "review,1\n" * 1000).encode())
    path = write(tmp_path / "data.csv.gz", whole[: len(whole) // 2])
    assert error(open_table, path).startswith(f"{path}: corrupt gzip data")
    garbage = write(tmp_path / "other.csv.gz", b"\x1f\x8bnot really gzip")
    assert error(open_table, garbage).startswith(f"{garbage}: corrupt gzip data")


# -- detection --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.csv", "", "csv"),
        ("a.TSV", "", "tsv"),
        ("a.tab.gz", "", "tsv"),
        ("a.ndjson", "", "jsonl"),
        ("a.pq", "", "parquet"),
        ("a.json", '{"text": "x"}\n', "jsonl"),
        ("a.json", '{\n  "text": "x"\n}\n', None),
        ("a.txt", '\n{"text": "x", "label": 1}\n', "jsonl"),
        ("a.txt", "id\tdocument\tlabel\n1\tgood\t1\n", "tsv"),
        ("a.txt", "text;label\ngood;1\nbad;0\n", "csv"),
        ("a.txt", "review,rating\n", None),  # one line is not enough to tell
        ("a.txt", "I loved it, really.\nThe cast, the music, all of it.\n", None),
        ("a.txt", "Just one review without any delimiter.\n", None),
        ("a.txt", "", None),
    ],
)
def test_detect_format(tmp_path, name, content, expected):
    assert detect_format(write(tmp_path / name, content)) == expected


def test_detect_format_from_a_given_sample(tmp_path):
    assert detect_format(tmp_path / "x", b"PAR1....") == "parquet"
    assert detect_format(tmp_path / "x", gzip.compress(b'{"a": 1}\n')) == "jsonl"
    assert detect_format(tmp_path / "x", b"label\ttext\n1\tgood\n0\tbad\n") == "tsv"
    assert set(FORMATS) == {"csv", "tsv", "jsonl", "parquet"}


# -- choosing columns -------------------------------------------------------------------------


@pytest.fixture
def reviews_csv(tmp_path):
    lines = ["ID,Review Text,Label"] + [f"{i},review number {i} is long enough,{i % 2}" for i in range(6)]
    return open_table(write(tmp_path / "data.csv", "\n".join(lines) + "\n"))


def test_choose_columns_by_known_names_ignoring_case_and_spacing(reviews_csv):
    choice = choose_columns(reviews_csv, need_label=True)
    assert choice == ColumnChoice(text="Review Text", label="Label", id="ID", guessed=("text", "label", "id"))


def test_choose_columns_explicit_names_and_positions(reviews_csv):
    assert choose_columns(reviews_csv, "Review Text", "Label", "ID", need_label=True).guessed == ()
    assert choose_columns(reviews_csv, "review text", "label", need_label=True) == ColumnChoice(
        "Review Text", "Label", "ID", ("id",)
    )
    assert choose_columns(reviews_csv, "2", "3", "1", need_label=True) == ColumnChoice("Review Text", "Label", "ID", ())


def test_choose_columns_errors(reviews_csv, tmp_path):
    path = reviews_csv.path
    assert error(choose_columns, reviews_csv, "revew", need_label=True) == (
        f"{path}: no text column 'revew' (columns: ID, Review Text, Label)"
    )
    assert error(choose_columns, reviews_csv, "4", need_label=False) == (
        f"{path}: no text column '4' (columns: ID, Review Text, Label)"
    )
    assert error(choose_columns, reviews_csv, "Label", "3", need_label=True) == (
        f"{path}: the text and label columns are both 'Label'"
    )
    only_text = open_table(write(tmp_path / "only.csv", "text,notes\nfine film,a\nbad film,b\n"))
    assert error(choose_columns, only_text, need_label=True) == (
        f"{only_text.path}: no label column found (columns: text, notes)"
    )
    assert choose_columns(only_text, need_label=False) == ColumnChoice("text", None, None, ("text",))
    numbers = open_table(write(tmp_path / "numbers.csv", "label,id\n1,10\n0,11\n"))
    assert error(choose_columns, numbers, need_label=False) == (
        f"{numbers.path}: no text column found (columns: label, id)"
    )


def test_choose_columns_by_content_without_known_names(tmp_path):
    content = "a,b,c,d\n" + "".join(f"{i},a fairly long review text {i},{'xyz'[i % 3]},{i % 2}\n" for i in range(9))
    table = open_table(write(tmp_path / "data.csv", content), header=True)
    # text: longest strings; label: the last column with few repeated values
    assert choose_columns(table, need_label=True) == ColumnChoice("b", "d", None, ("text", "label"))


def test_size_limits(tmp_path, monkeypatch):
    from sentiment_cli import tables

    monkeypatch.setattr(tables, "FIELD_LIMIT", 40)
    content = 'text,label\nshort,1\n"a quoted field\nthat runs on\nand on for too long",0\nafter,1\n'
    table = open_table(write(tmp_path / "data.csv", content))
    # a quoted field that passes the limit on a later line: the lines it took are named, not one row
    swallowed = "a quote opened at line 3 swallowed lines 4-5, passing 40 characters (reading went on after them)"
    assert rows(table, "text") == [(2, "short"), (3, swallowed), (6, "after")]
    long_line = write(tmp_path / "long.csv", "text,label\n" + "x" * 50 + ",1\n")
    assert error(open_table, long_line) == f"{long_line}: line 2 is longer than 40 characters"
    monkeypatch.setattr(tables, "FIELD_LIMIT", 1 << 20)
    monkeypatch.setattr(tables, "JSON_ARRAY_LIMIT", 30)
    array = open_table(write(tmp_path / "data.json", '[{"text": "a"}]'))
    assert array.columns == ["text"]
    big = write(tmp_path / "big.json", '[{"text": "' + "y" * 40 + '"}]')
    assert error(open_table, big) == f"{big}: a JSON array larger than 30 characters"


def test_a_quote_that_passes_the_field_limit_counts_every_line_it_swallowed(tmp_path, monkeypatch):
    """A quote never closed takes rows up to the field limit: predict, train and evaluate name the lines it
    swallowed (as for a smaller file), and the count is not that of a one-row loss."""
    from sentiment_cli import tables
    from sentiment_cli.data import TableOptions, load_dataset
    from sentiment_cli.reviews import Problem, TableInput, read_table

    monkeypatch.setattr(tables, "FIELD_LIMIT", 200)
    rows_ = "".join(f"{i},a good film {i},{'pos' if i % 2 else 'neg'}\n" for i in range(2, 40))
    path = write(tmp_path / "open.csv", 'id,text,label\n1,"quote never closed,pos\n' + rows_)
    problems = [i for chunk in read_table(str(path), TableInput()) for i in chunk if isinstance(i, Problem)]
    fatal = [p.message for p in problems if p.fatal]
    assert len(fatal) == 1 and fatal[0].startswith(f"{path}: 1 malformed row (line 2; 10 lines in all) not classified")
    assert "a quote opened at line 2 swallowed lines 3-11, passing 200 characters" in fatal[0]
    dataset = load_dataset(path, TableOptions(label_column="label"))
    assert dataset.messages()[0].startswith("skipped 1 row that could not be parsed: line 2 (10 lines in all)")
    assert sum(dataset.sizes().values()) == 29  # lines 12-40 recovered after the field limit


def test_messages_name_the_real_cause(tmp_path):
    """A CR-only CSV said 'no label column found (columns: id, text, label\\r1, …)' or 'a carriage return inside an
    unquoted field'; a CSV read as JSON Lines said 'no text column found (columns: none)'; a valid row nested too
    deeply said 'not valid JSON'."""
    cr = write(tmp_path / "cr.csv", "id,text,label\r1,A wonderful film,pos\r2,The worst movie,neg\r")
    assert error(open_table, cr) == (
        f"{cr}: its lines end in CR only (an old Mac layout, as Excel's 'CSV (Macintosh)'); lines must end in LF "
        "or CRLF"
    )
    crlf = open_table(write(tmp_path / "crlf.csv", "id,text,label\r\n1,A wonderful film,pos\r\n2,Bad,neg\r\n"))
    assert rows(crlf, "text") == [(2, "A wonderful film"), (3, "Bad")]
    csv_file = write(tmp_path / "t.csv", "text,label\nA wonderful film,pos\nThe worst movie,neg\n")
    assert error(open_table, csv_file, "jsonl") == (
        f"{csv_file}: no line is a JSON object (line 1: not valid JSON (Expecting value))"
    )
    deep = write(tmp_path / "deep.jsonl", '{"text": "good film"}\n{"text": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    assert rows(open_table(deep), "text") == [(1, "good film"), (2, "JSON nested too deeply to read")]
    only_deep = write(tmp_path / "only.jsonl", "[" * 100_000 + "]" * 100_000 + "\n")
    too_deep = "no line is a JSON object (line 1: JSON nested too deeply to read)"
    assert error(open_table, only_deep) == f"{only_deep}: {too_deep}"


def test_user_values_quoted_in_messages_are_cut_to_80_characters(tmp_path):
    """The text column read as the label: one 'one-line' error of 13,468 characters quoting whole reviews, twice."""
    from sentiment_cli.data import TableOptions, load_dataset

    reviews = [f"review {i} " + "a long and winding text " * 40 for i in range(60)]
    path = write(tmp_path / "t.csv", "text,label\n" + "".join(f"{r},{'pos' if i % 2 else 'neg'}\n" for i, r in
                                                             enumerate(reviews)))  # fmt: skip
    for classes in (None, ("negative", "positive")):
        with pytest.raises(DataError) as caught:
            load_dataset(path, TableOptions(label_column="1"), classes=classes)
        message = str(caught.value)
        assert f"'{reviews[0][:79]}…'" in message
        assert reviews[0][:200] not in message
        assert len(message) < 1200, len(message)
    header = "a header cell that is a whole review " * 10
    wide = write(tmp_path / "w.csv", f"{header},x\n1,2\n")
    message = error(choose_columns, open_table(wide, header=True), text="nope", need_label=False)
    assert message == f"{wide}: no text column 'nope' (columns: {header[:79]}…, x)"


def test_spark_names_columns_as_tables_do():
    from sentiment_cli.spark import column_of

    columns = ["ID", "Review Text", "stars"]
    assert column_of(columns, "review text") == "Review Text"
    assert column_of(columns, "2") == "Review Text"
    assert column_of(columns, "id", "id") == "ID"
    assert column_of(["key", "review_text"], None) == "review_text"
    with pytest.raises(DataError, match=r"^the DataFrame: no id column 'key' \(columns: ID, Review Text, stars\)$"):
        column_of(columns, "key", "id")
    with pytest.raises(DataError, match="is ambiguous"):
        column_of(["Text", "TEXT"], "tExt")
    with pytest.raises(DataError, match=r"^no text column found"):
        column_of(["a", "b"], None)


def test_a_tsv_written_by_pythons_csv_reads_back_as_written(tmp_path):
    """Red-team F20.7: Python's csv (and pandas) write TSV with minimal quoting: a field holding a quote or a tab
    is quoted, its quotes doubled. Such a line reads back as written; a quote that does not wrap a whole field
    stays text, as before."""
    import csv

    from sentiment_cli.data import load_dataset

    texts = ['He said "wonderful", and it was.', "a tab\there, great", '"Heat" is a great film', "plain and dull",
             'ends with a quote"', '"']  # fmt: skip
    path = tmp_path / "written.tsv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["text", "label"])
        writer.writerows((text, i % 2) for i, text in enumerate(texts))
    assert '"He said ""wonderful"", and it was."' in path.read_text()  # minimally quoted, as csv writes it
    data = load_dataset(path)
    assert data.split("train").texts == texts
    assert not data.report()["rows_skipped"]
    raw = tmp_path / "raw.tsv"
    raw.write_text('text\tlabel\n"Heat" is great\t1\nnot "quoted\t0\n', encoding="utf-8")
    assert load_dataset(raw).split("train").texts == ['"Heat" is great', 'not "quoted']
