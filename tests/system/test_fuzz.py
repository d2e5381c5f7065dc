"""Fuzzing the commands with hostile model directories, tables, options and byte streams (Hypothesis).

Whatever the input, a command ends with a documented exit code (docs/behaviour.md, "Exit codes"), never a
traceback; an error is one line on stderr led by ``error:``; JSON on stdout, when asked for, parses.
Each example copies a tiny model before corrupting it.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TINY_TRAIN_ARGS, runner
from sentiment_cli.cli import app

pytestmark = pytest.mark.slow  # Hypothesis drives every command many times: CI runs it, the quick run does not

EXIT_CODES = {0, 1, 2}
"""What a run can end with when nothing interrupts it (130, 141, 143 need a signal or a closed pipe)."""
FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**13), max_value=10**13)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
"""Any JSON value (``json.dumps`` writes NaN and Infinity too: those are tried through ``special``)."""
special = st.sampled_from([float("nan"), float("inf"), -1, 0, 2, 10**12, -5, "high", "", [], {}, None, True])


def check(result, *, json_lines: bool = False, json_document: bool = False) -> None:
    """The contract every run keeps, whatever it was given."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in EXIT_CODES, (result.exit_code, result.stderr)
    stderr = re.sub(r"\x1b\[[0-9;]*m", "", result.stderr)  # colours, when a test runs as on a terminal
    assert "Traceback" not in stderr
    if result.exit_code == 1:
        errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
        assert errors, stderr
        # each error is one line: nothing after it continues it (the next line is another message, or nothing)
        for line in stderr.splitlines():
            assert line.startswith(("error: ", "warning: ")) or not line.startswith(" "), stderr
    if result.exit_code == 0 and json_lines:
        for line in result.stdout.split("\n")[:-1]:  # JSON lines end in \n (splitlines would break at U+2028)
            strict_json(line)
    if result.exit_code == 0 and json_document:
        strict_json(result.stdout)


def strict_json(text: str):
    """``json.loads`` as a strict reader does it: Python's own accepts NaN and Infinity, which JSON has not."""

    def refuse(constant: str):
        raise AssertionError(f"not JSON: {constant} in {text[:200]!r}")

    return json.loads(text, parse_constant=refuse)


def copy_model(model: Path) -> Path:
    return Path(shutil.copytree(model, Path(tempfile.mkdtemp(prefix="fuzz-")) / "model"))


def rehash(model: Path, name: str) -> None:
    """Record ``name``'s new contents in the card, so the corruption reaches the parser, not the hash check."""
    card = json.loads((model / "card.json").read_text())
    data = (model / name).read_bytes()
    card["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    (model / "card.json").write_text(json.dumps(card))


def set_path(document: dict, path: tuple[str, ...], value) -> None:
    for key in path[:-1]:
        if not isinstance(document.get(key), dict):
            document[key] = {}
        document = document[key]
    document[path[-1]] = value


def edited(model: Path, name: str, edits, whole=None) -> Path:
    """A copy of ``model`` whose JSON file ``name`` has ``edits`` ((path, value) pairs) applied, or is ``whole``."""
    model = copy_model(model)
    document = json.loads((model / name).read_text())
    for path, value in edits:
        set_path(document, path, value)
    (model / name).write_text(json.dumps(document if whole is None else whole))
    return model


CARD_PATHS = [
    ("threshold",), ("labels",), ("format_version",), ("model", "arch"), ("model", "max_length"),
    ("model", "vocab_size"), ("model", "tokenizer"), ("model", "ngram_order"), ("model", "char_ngrams"),
    ("model", "head_length"),
    ("litert", "batch_size"), ("litert", "inputs"), ("litert", "output"), ("files",), ("files", "model.tflite"),
    ("history",), ("history", "the BiLSTM"), ("metrics",), ("name",), ("command",), ("label_scheme",),
]  # fmt: skip
TOKENIZER_PATHS = [
    ("format",), ("lowercase",), ("pattern",), ("padding_id",), ("unknown_id",), ("tokens",), ("max_length",),
    ("ngrams",), ("ngrams", "order"), ("ngrams", "max_tokens"), ("negation_scope",), ("head_length",),
]  # fmt: skip


@FUZZ
@given(
    edits=st.lists(st.tuples(st.sampled_from(CARD_PATHS), json_values | special), min_size=1, max_size=3),
    whole=st.none() | json_values,
)
def test_hostile_cards(tiny_model, edits, whole):
    model = edited(tiny_model, "card.json", edits, whole)
    result = runner.invoke(app, ["predict", "-m", str(model), "-", "-f", "jsonl"], input="a great film\nawful\n")
    check(result, json_lines=True)
    if result.exit_code == 0:
        for line in result.stdout.splitlines():
            record = json.loads(line)
            assert record["probability"] is None or 0 <= record["probability"] <= 1


@FUZZ
@given(edits=st.lists(st.tuples(st.sampled_from(TOKENIZER_PATHS), json_values | special), min_size=1, max_size=3))
def test_hostile_tokenizer_files(tiny_model, edits):
    model = edited(tiny_model, "tokenizer.json", edits)
    rehash(model, "tokenizer.json")
    result = runner.invoke(app, ["predict", "-m", str(model), "-", "-f", "jsonl"], input="a great film\n")
    check(result, json_lines=True)


@FUZZ
@given(header=st.binary(max_size=200), body=st.binary(max_size=200), keep=st.integers(0, 400))
def test_hostile_ngram_tables(tiny_model, header, body, keep):
    model = copy_model(tiny_model)
    original = (model / "ngrams.npy").read_bytes()
    (model / "ngrams.npy").write_bytes(original[:keep] + header + body)
    rehash(model, "ngrams.npy")
    result = runner.invoke(app, ["predict", "-m", str(model), "-"], input="a great film\n")
    check(result, json_lines=True)
    assert "allow_pickle" not in result.stderr


tables = st.one_of(
    st.binary(max_size=400),
    st.lists(st.lists(st.text(max_size=15), min_size=1, max_size=4), max_size=8).map(
        lambda rows: "\n".join(",".join(row) for row in rows).encode("utf-8", "surrogatepass")
    ),
    st.lists(st.dictionaries(st.sampled_from(["text", "label", "id", "x"]), json_values, max_size=4), max_size=6).map(
        lambda rows: "".join(json.dumps(row) + "\n" for row in rows).encode()
    ),
)


@FUZZ
@given(data=tables, suffix=st.sampled_from([".csv", ".tsv", ".jsonl", ".txt", ".json", ".csv.gz"]))
def test_hostile_tables_for_predict_and_evaluate(tiny_model, tmp_path, data, suffix):
    path = Path(tempfile.mkdtemp(dir=tmp_path)) / f"data{suffix}"
    path.write_bytes(data)
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), str(path), "-f", "jsonl"])
    check(result, json_lines=True)
    result = runner.invoke(app, ["evaluate", "-m", str(tiny_model), str(path), "-f", "json"])
    check(result, json_document=True)


option_values = st.one_of(
    st.text(max_size=10), st.sampled_from(["nan", "inf", "-1", "0", "1e308", "", "-", "1,2", "text", "../x"])
)
PREDICT_OPTIONS = ["--threshold", "--format", "--text-column", "--id-column", "--keep-columns", "--input-format",
                   "--output", "--header"]  # fmt: skip


@FUZZ
@given(
    options=st.lists(st.tuples(st.sampled_from(PREDICT_OPTIONS), option_values), max_size=3),
    flags=st.lists(st.sampled_from(["--per-line", "--whole", "--explain", "--no-csv-safe"]), max_size=2),
    stdin=st.binary(max_size=300),
)
def test_hostile_options_and_byte_streams(tiny_model, tmp_path, monkeypatch, options, flags, stdin):
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    monkeypatch.chdir(folder)  # an --output lands here
    (folder / "t.csv").write_text("text,label,id\na great film,1,a\nawful,0,b\n")
    args = ["predict", "-m", str(tiny_model), "-", *flags]
    for name, value in options:
        args += [name, value]
    result = runner.invoke(app, args, input=stdin)
    check(result, json_lines="--format" not in args and "--output" not in args)
    result = runner.invoke(app, [a if a != "-" else "t.csv" for a in args])
    check(result)


@FUZZ
@given(config=json_values | special, weights=st.binary(max_size=64), drop=st.sampled_from([None, "config.json"]))
@pytest.mark.slow
def test_hostile_keras_files_for_inspect(tiny_model, tmp_path, config, weights, drop):
    import zipfile

    path = Path(tempfile.mkdtemp(dir=tmp_path)) / "model.keras"
    with zipfile.ZipFile(tiny_model / "model.keras") as source, zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            if name == drop:
                continue
            data = source.read(name)
            if name == "config.json":
                original = json.loads(data)
                original["config"] = config if isinstance(config, dict) else {"layers": config}
                data = json.dumps(original).encode()
            elif name == "model.weights.h5" and weights:
                data = weights
            target.writestr(name, data)
    check(runner.invoke(app, ["inspect", str(path), "-f", "json"]), json_document=True)


_ZIP_FIELDS = {"crc": (16, 14), "compressed": (20, 18), "inflated": (24, 22)}
"""Offsets of a field in a zip's central directory entry (``PK\\x01\\x02``) and in a local header (``PK\\x03\\x04``)."""


@settings(FUZZ, max_examples=8)
@given(
    lies=st.lists(
        st.tuples(
            st.sampled_from(["config.json", "model.weights.h5", "metadata.json"]),
            st.sampled_from(sorted(_ZIP_FIELDS)),
            st.sampled_from(["central", "local"]),
            st.integers(0, 2**32 - 1) | st.sampled_from([0, 1, 1000, 2**31, 2**32 - 1]),
        ),
        min_size=1,
        max_size=3,
    ),
    padding=st.sampled_from([0, 1, 40]),
)
def test_lying_zip_directories_for_inspect(tiny_model, tmp_path, lies, padding):
    """A ``.keras`` whose zip directory or local headers give false sizes or CRCs (with a member of ``padding``
    MiB of zeros, deflated to a few KB, in place of the weights): refused or loaded, never held whole in memory
    past the cap (``MAX_KERAS_INFLATED``), never a traceback."""
    import struct
    import tracemalloc
    import zipfile

    from sentiment_cli.inspection import MAX_KERAS_INFLATED

    path = Path(tempfile.mkdtemp(dir=tmp_path)) / "model.keras"
    with zipfile.ZipFile(tiny_model / "model.keras") as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name in source.namelist():
            if name == "model.weights.h5" and padding:
                with out.open(name, "w", force_zip64=True) as handle:
                    for _ in range(padding):
                        handle.write(bytes(1 << 20))
            else:
                out.writestr(name, source.read(name))
    data = bytearray(path.read_bytes())
    for member, field, where, value in lies:
        central = where == "central"
        magic, name_at, offset = (b"PK\x01\x02", 28, 0) if central else (b"PK\x03\x04", 26, 1)
        offset = _ZIP_FIELDS[field][offset]
        at = 0
        while (at := data.find(magic, at)) >= 0:
            length = struct.unpack_from("<H", data, at + name_at)[0]
            start = at + (46 if central else 30)
            if data[start : start + length] == member.encode():
                struct.pack_into("<I", data, at + offset, value)
            at += 4
    path.write_bytes(bytes(data))
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(member.file_size for member in archive.infolist())
    except Exception:  # a directory that no longer parses: nothing may be inflated
        declared = 0
    tracemalloc.start()
    try:
        result = runner.invoke(app, ["inspect", str(path), "-f", "json"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    check(result, json_document=True)
    # never more inflated than the directory says (and the cap allows), whatever the members hold: the copy's
    # blocks, then what Keras reads of the copy
    assert peak < 2 * min(declared, MAX_KERAS_INFLATED) + (24 << 20), (peak, declared)


@FUZZ
@given(
    names=st.lists(
        st.text(max_size=6)
        | st.sampled_from(["", ".", "..", "a/b", "/etc/passwd", "a\x00b", "\ud800", "x" * 300, "card.json", "C:\\x"]),
        min_size=1,
        max_size=3,
    )
)
def test_hostile_card_file_names(tiny_model, names):
    """Names a card may list for its files: only plain names of the directory pass, the rest are one error line
    (a NUL, an empty name, a surrogate or a separator reached the file system as a bare ValueError)."""
    model = copy_model(tiny_model)
    card = json.loads((model / "card.json").read_text())
    for name in names:
        card["files"][name] = card["files"]["report.html"]
    (model / "card.json").write_text(json.dumps(card))
    result = runner.invoke(app, ["predict", "-m", str(model), "-", "-f", "jsonl"], input="a great film\n")
    check(result, json_lines=True)


@FUZZ
@given(edits=st.lists(st.tuples(st.sampled_from(CARD_PATHS), json_values | special), min_size=1, max_size=2))
@pytest.mark.slow
def test_hostile_cards_for_inspect(tiny_model, edits):
    model = edited(tiny_model, "card.json", edits)
    check(runner.invoke(app, ["inspect", str(model), "-f", "json"]), json_document=True)


TRAIN_OPTIONS = ["--learning-rate", "--batch-size", "--epochs", "--vocab-size", "--max-length", "--seed",
                 "--lstm-units", "--ngram-order"]  # fmt: skip


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    rows=st.lists(st.tuples(st.text(max_size=30), st.sampled_from(["0", "1", "2", "", "pos", "x"])), max_size=12),
    options=st.lists(
        st.tuples(
            st.sampled_from(TRAIN_OPTIONS),
            st.sampled_from(["nan", "inf", "0", "-1", "1", "2", "1e9", "1e308", "4294967296", "100000", "x"]),
        ),
        max_size=2,
    ),
)
@pytest.mark.slow
def test_hostile_training_data_and_options(tmp_path, rows, options):
    import csv

    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    with open(folder / "d.csv", "w", newline="", encoding="utf-8", errors="surrogatepass") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    args = ["train", str(folder / "d.csv"), "--out", str(folder / "m"), *TINY_TRAIN_ARGS, "--epochs", "1"]
    for name, value in options:
        args += [name, value]
    result = runner.invoke(app, args)
    check(result)
    if result.exit_code == 0:
        check(runner.invoke(app, ["predict", "-m", str(folder / "m"), "-"], input="a film\n"), json_lines=True)


# -- plain text: file names and encodings (red-team three, F6, F7, F13, F14) --------------------------------------

file_names = st.binary(min_size=1, max_size=12).filter(lambda name: b"/" not in name and b"\0" not in name)
"""Any bytes a Linux file name may hold: Latin-1 names from old archives and SMB shares are not valid UTF-8."""
review_bytes = st.one_of(
    st.binary(max_size=60),
    st.tuples(st.text(max_size=40), st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "latin-1"])).map(
        lambda pair: pair[0].encode(pair[1], "replace")
    ),
)


@FUZZ
@given(files=st.lists(st.tuples(st.sampled_from(["pos", "neg"]), file_names, review_bytes), min_size=1, max_size=6))
def test_hostile_file_names_and_bytes_in_a_training_folder_and_archive(tiny_model, tmp_path, files):
    """evaluate on an aclImdb folder (and the same as a .tar.gz) whose review files have any names and bytes: no
    traceback (a name that is not UTF-8 crashed the fingerprint), predictions written as valid UTF-8 JSON."""
    import os
    import tarfile

    root = Path(tempfile.mkdtemp(dir=tmp_path))
    folder = root / "data"
    for number, (label, name, raw) in enumerate(files):
        (folder / label).mkdir(parents=True, exist_ok=True)
        (folder / label / os.fsdecode(name + b"_%d_7.txt" % number)).write_bytes(raw)
    with tarfile.open(root / "data.tar.gz", "w:gz") as archive:
        archive.add(folder, arcname="data")
    for source in (folder, root / "data.tar.gz"):
        predictions = root / "p.jsonl"
        args = ["evaluate", "-m", str(tiny_model), str(source), "-f", "json", "--predictions", str(predictions)]
        result = runner.invoke(app, args)
        check(result, json_document=True)
        if predictions.exists():
            for line in predictions.read_bytes().decode("utf-8").splitlines():
                json.loads(line)
            predictions.unlink()


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=60),
    encoding=st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]),
)
def test_the_same_text_gives_the_same_lines_in_every_encoding(text, encoding):
    """UTF-16 split lines at \\f, \\x85, U+2028… (str.splitlines) and UTF-32 was read as UTF-16: the same text
    gave other reviews and other FILE:LINE numbers. With a BOM (the one that says which encoding it is), every
    encoding gives the lines of UTF-8 with a BOM, and so do a whole file's reviews."""
    import codecs
    import io

    from sentiment_cli.reviews import Problem, read_lines, read_sources

    boms = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
            "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}  # fmt: skip

    def read(raw: bytes) -> list:
        items = [i for chunk in read_lines(io.BytesIO(raw), "f") for i in chunk]
        return [(i.source, i.text) if not isinstance(i, Problem) else i.message for i in items]

    def whole(raw: bytes) -> list:
        items = [i for chunk in read_sources(["-"], io.BytesIO(raw), whole=True) for i in chunk]
        return [getattr(i, "text", None) for i in items]

    wide = boms.get(encoding, b"") + text.encode(encoding)
    assert read(wide) == read(text.encode("utf-8-sig"))
    assert whole(wide) == whole(text.encode("utf-8-sig"))


# -- generators that would have found the red-team's F4 and F5 --------------------------------------------

markup_pieces = st.sampled_from([
    "[", "]", "/", "[/i]", "[/]", "[bold]", "[link=https://evil.example]", "[/link]", ":smile:", "\x1b]8;;x\x07",
    "\x1b[2J", "\x9b", "\x07", "\n", "\t", "\r", "\u2028", "\ud800", "\udc9b", "P(", ")",
])  # fmt: skip
class_names = st.lists(markup_pieces | st.text(max_size=4), min_size=1, max_size=6).map("".join)
"""Class names a card or training labels can hold: Rich markup, emoji codes, escape sequences, line breaks."""


@pytest.fixture(scope="module")
def shipped_copy(tmp_path_factory):
    from sentiment_cli.bundle import default_model_dir

    return Path(shutil.copytree(default_model_dir(), tmp_path_factory.mktemp("fuzz-shipped") / "model"))


@FUZZ
@given(labels=st.lists(class_names, min_size=2, max_size=2, unique=True))
def test_class_names_with_markup_are_printed_inert(shipped_copy, terminal, labels):
    from sentiment_cli.cli.console import one_line

    model = edited(shipped_copy, "card.json", [(("labels",), labels)])
    for args in (["-f", "table"], ["--explain", "-f", "table"], ["-f", "csv"], ["-f", "jsonl"]):
        result = runner.invoke(app, ["predict", "-m", str(model), "-", *args], input="a great film\nawful\n")
        check(result, json_lines="jsonl" in args)
        if result.exit_code == 0 and "table" in args:
            assert "\x1b]" not in result.stdout and "\x9b" not in result.stdout  # no OSC, no 8-bit CSI
            assert f"P({one_line(labels[1])})" in result.stdout  # the header as written, on one line
    shutil.rmtree(model.parent)


carried_values = json_values | special | st.sampled_from([float("-inf"), -0.0, 1e308, "NaN", "[/i]", "\x1b]8;;"])


@FUZZ
@given(
    rows=st.lists(st.tuples(st.text(min_size=1, max_size=20), carried_values, carried_values), min_size=1, max_size=5),
    as_parquet=st.booleans(),
)
def test_nan_and_odd_values_in_carried_columns_give_valid_output(shipped_copy, tmp_path, rows, as_parquet):
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    if as_parquet:  # a double column (NaN and ±inf kept apart from null) and a binary one
        import pyarrow as pa
        import pyarrow.parquet as pq

        numbers = [v if isinstance(v, float) else None for _, v, _ in rows]
        raw = [json.dumps(w).encode() + b"\xff" for _, _, w in rows]
        path = folder / "t.parquet"
        columns = {"text": [t for t, _, _ in rows], "id": pa.array(numbers, pa.float64()), "k": pa.array(raw)}
        pq.write_table(pa.table(columns), path)
    else:  # what Python's json.dumps writes: NaN, Infinity
        path = folder / "t.jsonl"
        path.write_text("".join(json.dumps({"text": t, "id": v, "k": w}) + "\n" for t, v, w in rows))
    base = ["predict", "-m", str(shipped_copy), str(path), "--id-column", "id", "--keep-columns", "k"]
    for args, lines in (([], True), (["--explain"], True), (["-f", "csv"], False), (["-f", "table"], False)):
        check(runner.invoke(app, [*base, *args] if args else [*base, "-f", "jsonl"]), json_lines=lines)
    for name in ("o.jsonl", "o.parquet", "o.csv"):
        result = runner.invoke(app, [*base, "-o", str(folder / name)])
        check(result)
        if result.exit_code == 0 and name == "o.jsonl":
            for line in (folder / name).read_text(encoding="utf-8").split("\n")[:-1]:
                strict_json(line)
