"""One decoding policy for every plain review (sentiment_cli/textio.py): predict's files, lines and standard
input, and the review files of training folders and archives read the same bytes the same way."""

import codecs
import io
import os
import sys
import tarfile

import pytest

from sentiment_cli.data import load_dataset
from sentiment_cli.errors import InputError
from sentiment_cli.reviews import MAX_REVIEW_BYTES, Problem, Review, read_file, read_lines, read_sources
from sentiment_cli.textio import decode, split_lines, truncate


def flat(chunks):
    return [item for chunk in chunks for item in chunk]


def reviews(items):
    return [(i.source, i.text) for i in items if isinstance(i, Review)]


ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be")


def encoded(text: str, encoding: str) -> bytes:
    """``text`` in ``encoding``, a BOM first for the UTF-16 and UTF-32 byte orders Python writes without one."""
    boms = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
            "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}  # fmt: skip
    return boms.get(encoding, b"") + text.encode(encoding)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_utf32_and_utf16_files_are_read_as_their_text(tmp_path, encoding):
    """UTF-32 was read as UTF-16 garbage (its BOM starts with UTF-16's) and classified; UTF-32-BE was 'not text'."""
    path = tmp_path / "r.txt"
    path.write_bytes(encoded("A wonderful film, I loved it. Très 👍\n", encoding))
    assert reviews(read_file(path)) == [(str(path), "A wonderful film, I loved it. Très 👍\n")]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_the_same_text_gives_the_same_lines_in_every_encoding(encoding):
    """Lines end at \\n (and \\r\\n) only: UTF-16 went through str.splitlines(), which also breaks at \\f, \\x85,
    U+2028, U+2029, \\v, \\x1c-\\x1e and a lone \\r, so FILE:LINE numbers stopped matching the file."""
    text = "A wonderful film\x0cI loved it\u2028The worst\u2029movie\x85ever\rboring\x0bdull\x1cend\r\nsecond\n\nthird"
    items = flat(read_lines(io.BytesIO(encoded(text, encoding)), "f"))
    assert reviews(items) == [
        ("f:1", "A wonderful film\x0cI loved it\u2028The worst\u2029movie\x85ever\rboring\x0bdull\x1cend"),
        ("f:2", "second"),
        ("f:4", "third"),
    ]
    assert not [i for i in items if isinstance(i, Problem)]


def test_a_bom_that_arrives_a_byte_at_a_time_is_still_recognised():
    """A slow pipe may hand over UTF-32's BOM in pieces: the reader waits for enough bytes to tell."""

    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = data

        def readable(self) -> bool:
            return True

        def read1(self, size: int = -1) -> bytes:
            piece, self.data = self.data[:1], self.data[1:]
            return piece

        def fileno(self) -> int:
            raise OSError

    items = flat(read_lines(Trickle(encoded("uno\ndos\n", "utf-32-le")), "<stdin>"))
    assert reviews(items) == [("<stdin>:1", "uno"), ("<stdin>:2", "dos")]


def test_split_lines_breaks_at_newlines_only():
    assert split_lines("a\r\nb\x0cc\u2028d\re\n\nf\n") == ["a", "b\x0cc\u2028d\re", "", "f"]
    assert split_lines("") == []


def test_truncation_never_splits_a_character():
    for encoding, char in (("utf-16", "👍"), ("utf-32", "é"), ("utf-16-be", "a"), ("utf-8", "é")):
        raw = encoded(char * 100, encoding)
        for limit in range(1, 60):
            text, _ = decode(truncate(raw, limit), "f")
            assert set(text) <= {char}, (encoding, limit, text)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"bad\0film", "f: not text (contains NUL bytes)"),
        ("bad\0film".encode("utf-16"), "f: not text (UTF-16 with NUL characters)"),
        ("bad\0film".encode("utf-32"), "f: not text (UTF-32 with NUL characters)"),
        (codecs.BOM_UTF32_LE + b"\xff\xff\xff\xff", "f: not text (invalid UTF-32)"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "f: not text (invalid UTF-16)"),
    ],
)
def test_nul_and_undecodable_wide_text_are_not_text(raw, message):
    with pytest.raises(InputError) as caught:
        decode(raw, "f")
    assert caught.value.message == message


def aclimdb_reviews(root):
    """Review files a hostile folder may hold, each as bytes."""
    return {
        "pos/1_9.txt": "A wonderful film, I loved it.".encode("utf-16"),
        "pos/2_8.txt": "Simply great \u2028 work.".encode("utf-32"),
        "pos/3_9.txt": b"Un film magnifique, tr\xe8s \xe9mouvant",
        "neg/4_1.txt": b"The worst movie ever.\n",
        "neg/5_1.txt": b"bad\0film",
    }


def test_folders_and_archives_decode_review_files_as_predict_does(tmp_path):
    """UTF-16 and UTF-32 are decoded, Latin-1 is replaced and noted, a file with a NUL is skipped and named as
    predict's 'not text', in a folder and in a .tar.gz alike; each text is the one predict reads."""
    folder = tmp_path / "data"
    files = aclimdb_reviews(folder)
    for name, raw in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(raw)
    archive = tmp_path / "data.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="data")
    predicted = {name: reviews(read_file(folder / name)) for name in files if name != "neg/5_1.txt"}
    for source, prefix in ((folder, f"{folder}/"), (archive, f"{archive}:data/")):
        dataset = load_dataset(source)
        split = dataset.split("train")
        got = dict(zip(split.sources, split.texts, strict=True))
        assert got == {prefix + name: texts[0][1] for name, texts in predicted.items()}
        assert got[prefix + "pos/1_9.txt"] == "A wonderful film, I loved it."
        assert got[prefix + "pos/3_9.txt"] == "Un film magnifique, tr\ufffds \ufffdmouvant"
        assert dataset.skipped == [f"{prefix}neg/5_1.txt: not text (contains NUL bytes)"]
        assert f"{prefix}pos/3_9.txt: invalid UTF-8, undecodable bytes replaced with U+FFFD" in dataset.notes


def test_a_huge_sparse_file_in_a_training_folder_is_not_text_and_is_read_only_to_the_cap(tmp_path):
    """A 2 GB sparse file became one review of a MiB of NULs (and a 6 MB predictions line)."""
    for name, text in (("pos/1_9.txt", b"A great film"), ("neg/2_1.txt", b"Awful film")):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(text)
    with open(tmp_path / "neg" / "3_1.txt", "wb") as handle:
        handle.truncate(2 << 30)
    dataset = load_dataset(tmp_path)
    assert dataset.sizes() == {"train": 2}
    assert dataset.skipped == [f"{tmp_path}/neg/3_1.txt: not text (contains NUL bytes)"]
    assert not any("longer than" in note for note in dataset.notes)  # skipped, so not counted as cut


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses file names that are not valid UTF-8")
def test_a_training_folder_with_a_file_name_that_is_not_utf8_is_read(tmp_path):
    """The fingerprint hashed the name as UTF-8 and crashed (UnicodeEncodeError); the name is now hashed as its
    bytes and shown with its bad bytes as U+FFFD."""
    (tmp_path / "pos").mkdir()
    (tmp_path / "neg").mkdir()
    (tmp_path / "neg" / "2_1.txt").write_text("Awful film")
    (tmp_path / "pos" / "1_9.txt").write_text("A great film")
    latin1 = os.fsdecode(b"caf\xe9_8.txt")
    (tmp_path / "pos" / latin1).write_text("Loved it")
    dataset = load_dataset(tmp_path)
    sources = dataset.split("train").sources
    assert f"{tmp_path}/pos/caf\ufffd_8.txt" in sources
    assert all(source.encode("utf-8") for source in sources)  # printable and writable as UTF-8
    assert dataset.fingerprint["files"] == 3
    again = load_dataset(tmp_path)
    assert again.fingerprint["sha256"] == dataset.fingerprint["sha256"]
    (tmp_path / "pos" / latin1).rename(tmp_path / "pos" / os.fsdecode(b"caf\xe8_8.txt"))  # another name, bytes
    assert load_dataset(tmp_path).fingerprint["sha256"] != dataset.fingerprint["sha256"]


def test_standard_input_in_utf32_is_read(tmp_path):
    items = flat(read_sources(["-"], io.BytesIO(encoded("good film\nbad film\n", "utf-32")), table=None))
    assert reviews(items) == [("<stdin>:1", "good film"), ("<stdin>:2", "bad film")]


def test_a_long_utf16_line_is_cut_at_the_cap_as_a_utf8_one_is():
    raw = ("x" * (MAX_REVIEW_BYTES + 10) + "\nshort\n").encode("utf-16")
    items = flat(read_lines(io.BytesIO(raw), "f"))
    got = reviews(items)
    assert [source for source, _ in got] == ["f:1", "f:2"]
    assert len(got[0][1]) == MAX_REVIEW_BYTES and got[1][1] == "short"
    assert [i.message for i in items if isinstance(i, Problem)] == [
        "f: 1 review (line 1) longer than 1 MiB: only the first 1 MiB of each classified"
    ]


def test_a_line_of_unicode_spaces_is_blank_in_every_encoding():
    """UTF-8 lines were blank only when their bytes were ASCII spaces; UTF-16 lines when str.strip() said so."""
    for encoding in ("utf-8", "utf-16", "utf-32"):
        items = flat(read_lines(io.BytesIO(encoded("good\n\u3000\u2028 \nbad\n", encoding)), "f"))
        assert reviews(items) == [("f:1", "good"), ("f:3", "bad")], encoding
