"""Reading review inputs: encodings, odd files, streaming with bounded memory."""

import codecs
import io
import os
import re

import pytest

from sentiment_cli.errors import DataError, InputError
from sentiment_cli.reviews import CHUNK_REVIEWS, MAX_REVIEW_BYTES, Problem, Review, read_file, read_lines, read_sources
from sentiment_cli.textio import INVALID_HINT


def flat(chunks):
    return [item for chunk in chunks for item in chunk]


def texts(items):
    return [(i.source, i.text) for i in items if isinstance(i, Review)]


def problems(items):
    return [(i.message, i.fatal) for i in items if isinstance(i, Problem)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (codecs.BOM_UTF8 + "Très bien".encode(), "Très bien"),
        ("Très bien 👍".encode("utf-16"), "Très bien 👍"),
        ("영화 최고, رائع".encode(), "영화 최고, رائع"),
        (b"line one\r\nline two\r\n", "line one\r\nline two\r\n"),
    ],
)
def test_file_encodings(tmp_path, raw, expected):
    path = tmp_path / "r.txt"
    path.write_bytes(raw)
    assert texts(read_file(path)) == [(str(path), expected)]


def test_invalid_utf8_file_is_replaced_with_a_warning(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("café great".encode("latin-1"))
    items = read_file(path)
    assert texts(items) == [(str(path), "caf\ufffd great")]
    said = f"{path}: invalid UTF-8, undecodable bytes replaced with U+FFFD; {INVALID_HINT}"
    assert problems(items) == [(said, False)]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty (no text to classify)"),
        (b"\n \n\t\n", "empty (no text to classify)"),
        (b"\x7fELF\x02\x01\x00\x00binary", "not text (contains NUL bytes)"),
    ],
)
def test_files_with_nothing_to_classify_are_refused(tmp_path, raw, message):
    path = tmp_path / "odd.bin"
    path.write_bytes(raw)
    with pytest.raises(InputError, match=re.escape(f"odd.bin: {message}")):
        read_file(path)


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "secret.txt"
    path.write_text("hidden")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("sentiment_cli.reviews.open", denied, raising=False)  # root reads any file
    with pytest.raises(InputError, match="secret.txt: permission denied"):
        read_file(path)


def test_lines_crlf_bom_blank_and_numbering():
    raw = codecs.BOM_UTF8 + b"first\r\n\r\n  \nsecond\nthird"
    items = flat(read_lines(io.BytesIO(raw), "<stdin>"))
    assert texts(items) == [("<stdin>:1", "first"), ("<stdin>:4", "second"), ("<stdin>:5", "third")]


def test_lines_utf16_input():
    raw = "uno\ndos\n\ntres\n".encode("utf-16")
    assert texts(flat(read_lines(io.BytesIO(raw), "f"))) == [("f:1", "uno"), ("f:2", "dos"), ("f:4", "tres")]


def test_lines_invalid_utf8_warns_once_per_source():
    raw = b"ok\nbad \xff one\nbad \xfe two\n"
    items = flat(read_lines(io.BytesIO(raw), "f"))
    assert len(texts(items)) == 3
    assert problems(items) == [("f: invalid UTF-8 (first at line 2), replaced with U+FFFD; " + INVALID_HINT, False)]


def test_lines_stop_at_binary_content():
    raw = b"good line\nanother\n\x00\x01\x02junk\nmore\n"
    items = flat(read_lines(io.BytesIO(raw), "f"))
    assert texts(items) == [("f:1", "good line"), ("f:2", "another")]
    assert problems(items) == [("f: not text (NUL bytes at line 3); skipped from there", True)]


def test_a_50_mb_line_is_one_review():
    raw = b"word " * 10_000_000 + b"\nnext\n"
    items = flat(read_lines(io.BytesIO(raw), "big"))
    assert [source for source, _ in texts(items)] == ["big:1", "big:2"]
    assert len(texts(items)[0][1]) == MAX_REVIEW_BYTES  # its first MiB: far more than a model reads
    note = "big: 1 review (line 1) longer than 1 MiB: only the first 1 MiB of each classified"
    assert problems(items) == [(note, False)]


class Lines(io.RawIOBase):
    """A stream of ``n`` short lines made on the fly (never held in memory at once)."""

    def __init__(self, n):
        self.remaining, self.number = n, 0

    def readable(self):
        return True

    def read1(self, size=-1):
        out = []
        while self.remaining and len(out) < 2000:
            self.number += 1
            self.remaining -= 1
            out.append(b"review number %d was fine\n" % self.number)
        return b"".join(out)


@pytest.mark.slow
def test_a_million_lines_stream_in_bounded_chunks_and_memory():
    stream = Lines(1_000_000)
    count = ahead = 0
    for chunk in read_lines(stream, "<stdin>"):
        assert len(chunk) <= CHUNK_REVIEWS
        count += len(chunk)
        ahead = max(ahead, stream.number - count)  # lines read from the stream but not yet handed out
    assert count == 1_000_000
    assert ahead <= 2000  # never more than one block of the stream is held, not the 30 MB of input


def test_reading_a_pipe_yields_lines_as_they_arrive():
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "rb", buffering=0) as reader, os.fdopen(write_fd, "wb", buffering=0) as writer:
        chunks = read_lines(reader, "<stdin>")
        writer.write(b"first review\n")
        # The first line comes out while the pipe is still open: nothing waits for a full chunk.
        assert texts(next(chunks)) == [("<stdin>:1", "first review")]
        writer.write(b"second review\n")
        assert texts(next(chunks)) == [("<stdin>:2", "second review")]


def test_sources_keep_order_and_report_problems_in_place(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("alpha")
    b.write_text("beta\ngamma\n")
    stdin = io.BytesIO(b"from stdin\n")
    items = flat(read_sources([str(a), str(tmp_path / "nope"), "-", str(b)], stdin))
    assert [getattr(i, "source", None) for i in items] == [str(a), str(tmp_path / "nope"), "<stdin>:1", str(b)]
    per_line = flat(read_sources([str(b)], io.BytesIO(), per_line=True))
    assert texts(per_line) == [(f"{b}:1", "beta"), (f"{b}:2", "gamma")]
    whole = flat(read_sources(["-"], io.BytesIO(b"one\ntwo\n"), whole=True))
    assert texts(whole) == [("<stdin>", "one\ntwo\n")]
    empty = flat(read_sources(["-"], io.BytesIO(b"  \n"), whole=True))
    assert problems(empty) == [("<stdin>: empty (no text to classify)", True)]


def test_per_line_files_without_a_line_of_text_are_refused_as_empty_files_are(tmp_path):
    from sentiment_cli.reviews import Problem, Review, read_sources

    empty, blank, one = tmp_path / "empty.txt", tmp_path / "blank.txt", tmp_path / "one.txt"
    empty.write_bytes(b"")
    blank.write_bytes(b"\n  \n\r\n")
    one.write_bytes(b"good film\n")
    chunks = read_sources([str(empty), str(blank), str(one)], io.BytesIO(), per_line=True)
    items = [x for chunk in chunks for x in chunk]
    problems = [x for x in items if isinstance(x, Problem)]
    assert [(p.message, p.fatal) for p in problems] == [
        (f"{empty}: empty (no text to classify)", True),
        (f"{blank}: empty (no text to classify)", True),
    ]
    assert [x.text for x in items if isinstance(x, Review)] == ["good film"]
    nul = tmp_path / "nul.txt"
    nul.write_bytes(b"\x00\x01")  # not text: one problem, not two
    assert len([x for chunk in read_sources([str(nul)], io.BytesIO(), per_line=True) for x in chunk]) == 1


def test_binary_files_are_named_for_what_they_are(tmp_path):
    import gzip

    from sentiment_cli.reviews import Problem, read_sources
    from sentiment_cli.tables import open_table

    packed = tmp_path / "reviews.txt.gz"
    packed.write_bytes(gzip.compress(b"good film\n"))
    (problem,) = [x for chunk in read_sources([str(packed)], io.BytesIO()) for x in chunk]
    assert isinstance(problem, Problem)
    expected = "gzip-compressed, not text (decompress it, e.g. zcat FILE | sentiment predict -)"
    assert problem.message == f"{packed}: {expected}"
    wide = tmp_path / "wide.csv"
    wide.write_bytes("id,text\n1,great film\n".encode("utf-16"))
    with pytest.raises(DataError) as caught:
        list(open_table(wide).records())
    assert caught.value.message == f"{wide}: a UTF-16 table; tables are read as UTF-8"
    assert caught.value.hint == "convert it: iconv -f UTF-16 -t UTF-8"
