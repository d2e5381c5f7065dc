"""What commands write: never over their own inputs or the model's files, checked before any work; every JSON
value valid JSON; everything user- or card-supplied printed inert (the red-team's F1, F2, F4, F5, F19, F20).

Quick tests: they use copies of the shipped model, never train one."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import runner
from sentiment_cli.bundle import Card, default_model_dir
from sentiment_cli.cli import app


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its sha256: what a refused command must leave as it was."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return Path(shutil.copytree(default_model_dir(), tmp_path / "m"))


@pytest.fixture
def workdir(tmp_path: Path, model: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with reviews in several forms and the model, as the current directory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.txt").write_text("A great film\n")
    (tmp_path / "t.csv").write_text("text,label\nA wonderful film,pos\nThe worst movie,neg\n")
    (tmp_path / "d").mkdir()
    pq.write_table(pa.table({"text": ["A wonderful film", "The worst movie"]}), tmp_path / "d" / "reviews.parquet")
    (tmp_path / "d" / "notes.txt").write_text("keep me\n")
    os.link(tmp_path / "t.csv", tmp_path / "hard.csv")
    (tmp_path / "soft.csv").symlink_to(tmp_path / "t.csv")
    return tmp_path


REFUSED = [
    # F1: score's OUTPUT is deleted before it is written (--force): never the input, a folder holding it, the model
    (["score", "d/reviews.parquet", "d", "--force"], 1, "d holds the input d/reviews.parquet"),
    (["score", "d/reviews.parquet", "d/reviews.parquet", "--force"], 1, "is also the input"),
    (["score", "d/reviews.parquet", ".", "--force"], 1, "is the current directory or holds it"),
    (["score", "d/reviews.parquet", "d/x/..", "--force"], 1, "holds the input"),
    (["score", "d", "d/sub", "--force"], 1, "is inside the input d"),
    (["score", "d/reviews.parquet", "m", "--force", "-m", "m"], 1, "is also the model"),
    (["score", "d/reviews.parquet", "missing/out"], 1, "missing: no such directory"),  # before Spark starts
    # F2: predict -o, evaluate --predictions and --report, inspect --report: never a file of the model in use
    (["predict", "-m", "m", "r.txt", "-o", "m/tokenizer.json"], 2, "is also a file of the model m"),
    (["predict", "-m", "m", "r.txt", "-f", "jsonl", "-o", "m/model.tflite"], 2, "is also a file of the model m"),
    (["predict", "-m", "m", "r.txt", "-o", "m/../m/card.json"], 2, "is also a file of the model m"),
    (["evaluate", "-m", "m", "t.csv", "--predictions", "m/card.json"], 2, "is also a file of the model m"),
    (["evaluate", "-m", "m", "t.csv", "--report", "m/report.html"], 2, "is also a file of the model m"),
    (["inspect", "m", "--report", "m/report.html"], 2, "is also a file of the model m"),
    # ... nor an input, under any name
    (["predict", "-m", "m", "t.csv", "-o", "hard.csv"], 2, "is also an input"),
    (["predict", "-m", "m", "t.csv", "-o", "soft.csv"], 2, "is also an input"),
    (["evaluate", "-m", "m", "t.csv", "--predictions", "hard.csv"], 2, "is also the data"),
    (["evaluate", "-m", "m", "t.csv", "--report", "./t.csv"], 2, "a report is an .html file"),
    # train --out is checked by the same function
    (["train", "d", "--out", "d/.."], 1, "is the current directory or holds it"),
    (["train", "t.csv", "--out", ".", "--force"], 1, "is the current directory or holds it"),
    (["train", "d/reviews.parquet", "--out", "d", "--force"], 1, "d holds the training data d/reviews.parquet"),
]


@pytest.mark.parametrize(("args", "code", "message"), REFUSED, ids=[" ".join(a) for a, _, _ in REFUSED])
def test_no_output_replaces_an_input_or_a_file_of_the_model(workdir, args, code, message):
    before = tree(workdir)
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert message in " ".join(result.stderr.split()), result.stderr
    assert tree(workdir) == before  # refused before anything was written or deleted


def test_the_shipped_model_is_guarded_when_no_model_is_named(workdir, model, monkeypatch):
    import sentiment_cli.bundle

    monkeypatch.setattr(sentiment_cli.bundle, "default_model_dir", lambda: model)  # a copy stands in for it
    before = tree(model)
    result = runner.invoke(app, ["predict", "r.txt", "-f", "jsonl", "-o", str(model / "card.json")])
    assert result.exit_code == 2 and "is also a file of the model" in result.stderr
    assert tree(model) == before


def test_score_refuses_in_the_library_too(workdir):
    from sentiment_cli.errors import OutputError
    from sentiment_cli.spark import score_files

    with pytest.raises(OutputError, match="holds the input"):
        score_files("d/reviews.parquet", "d", force=True)
    assert (workdir / "d" / "notes.txt").read_text() == "keep me\n"


def test_outputs_beside_the_model_and_json_lines_names_are_still_written(workdir):
    """A file the model does not list may be written into its folder; .json and .ndjson are JSON lines."""
    for name in ("m/eval.json", "p.ndjson"):
        result = runner.invoke(app, ["predict", "-m", "m", "r.txt", "-o", name])
        assert result.exit_code == 0, result.output
        assert json.loads(Path(name).read_text())["label"] == "positive"
    result = runner.invoke(app, ["predict", "-m", "m", "r.txt"])  # the model still loads
    assert result.exit_code == 0, result.output


def test_an_unwritable_output_is_refused_before_the_evaluation(workdir, monkeypatch):
    """F19: --predictions and --report in a missing or read-only folder fail at once, not after the scoring."""
    real_access = os.access
    readonly = workdir / "ro"
    readonly.mkdir()

    def access(path, mode):
        return False if mode & os.W_OK and Path(path).resolve() == readonly else real_access(path, mode)

    monkeypatch.setattr(os, "access", access)
    for option, name, problem in [
        ("--predictions", "missing/p.csv", "missing: no such directory"),
        ("--predictions", "ro/p.csv", "ro: not writable"),
        ("--report", "ro/r.html", "ro: not writable"),
        ("--report", "ro", "ro: not writable"),
    ]:
        result = runner.invoke(app, ["evaluate", "-m", "m", "t.csv", option, name])
        assert result.exit_code == 1, result.output
        assert f"error: {problem}" in result.stderr
        assert result.stdout == "" and "Read " not in result.stderr  # nothing read, nothing scored
    result = runner.invoke(app, ["predict", "-m", "m", "r.txt", "-o", "ro/p.jsonl"])
    assert result.exit_code == 1 and "error: ro: not writable" in result.stderr


# -- F4, F20: every value written as JSON is valid JSON; carried values as JSON writes them ----------------


def strict_json(line: str):
    """``json.loads`` that refuses what Python writes but JSON has not: NaN, Infinity, -Infinity."""

    def refuse(constant):
        raise AssertionError(f"not JSON: {constant}")

    return json.loads(line, parse_constant=refuse)


@pytest.fixture
def odd_values(workdir) -> Path:
    """A Parquet table whose id and kept columns hold NaN, ±Infinity, bytes that are not UTF-8 and booleans."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "text": ["A wonderful film", "The worst movie", "A great film", "Awful"],
        "id": pa.array([float("nan"), float("inf"), float("-inf"), 4.0]),
        "raw": pa.array([b"\x00\xff", b"abc", None, b"\xe2\x82"], pa.binary()),
        "flag": [True, False, None, True],
        "score": [float("nan"), 1.5, float("inf"), None],
    })  # fmt: skip
    pq.write_table(table, workdir / "odd.parquet")
    (workdir / "odd.jsonl").write_text(
        '{"text": "A wonderful film", "id": NaN, "flag": true, "obj": {"x": NaN, "y": [Infinity]}}\n'
        '{"text": "Awful", "id": -Infinity, "flag": false, "obj": null}\n'
    )
    return workdir


def test_non_finite_numbers_bytes_and_booleans_are_written_as_json_does(odd_values):
    parquet = ["-m", "m", "odd.parquet", "--id-column", "id", "--keep-columns", "raw,flag,score"]
    lines = ["-m", "m", "odd.jsonl", "--id-column", "id", "--keep-columns", "flag,obj"]
    for args in ([*parquet, "-f", "jsonl"], [*parquet, "--explain", "-f", "jsonl"], [*lines, "-f", "jsonl"],
                 [*lines, "--explain", "-f", "jsonl"]):  # fmt: skip
        result = runner.invoke(app, ["predict", *args])
        assert result.exit_code == 0, result.output
        records = [strict_json(line) for line in result.stdout.splitlines()]
        assert [r["id"] for r in records] == ([None, None, None, 4.0] if "odd.parquet" in args else [None, None])
        if "odd.parquet" in args:
            assert [r["raw"] for r in records] == ["\x00\ufffd", "abc", None, "\ufffd"]  # UTF-8 text, not b'...'
            assert [r["flag"] for r in records] == [True, False, None, True]
            assert [r["score"] for r in records] == [None, 1.5, None, None]
        else:
            assert [r["obj"] for r in records] == ['{"x": null, "y": [null]}', None]
    # to a file: the same records (no traceback, no lost output)
    result = runner.invoke(app, ["predict", *parquet, "-o", "p.jsonl"])
    assert result.exit_code == 0, result.output
    assert [strict_json(line)["id"] for line in Path("p.jsonl").read_text().splitlines()] == [None, None, None, 4.0]
    # CSV and Parquet write the same values: none for NaN, UTF-8 text for bytes, true for a boolean
    result = runner.invoke(app, ["predict", *parquet, "-f", "csv"])
    rows = result.stdout.splitlines()
    assert rows[0] == "source,id,label,probability,raw,flag,score"
    assert [row.split(",")[1] for row in rows[1:]] == ["", "", "", "4.0"]
    assert [row.split(",")[4:] for row in rows[1:]] == [
        ["\x00\ufffd", "true", ""], ["abc", "false", "1.5"], ["", "", ""], ["\ufffd", "true", ""]
    ]
    import pyarrow.parquet as pq

    result = runner.invoke(app, ["predict", *lines, "-o", "p.parquet"])
    assert result.exit_code == 0, result.output
    written = pq.read_table("p.parquet").to_pylist()
    assert [(r["id"], r["flag"], r["obj"]) for r in written] == [(None, "true", '{"x": null, "y": [null]}'),
                                                                 (None, "false", None)]  # fmt: skip


def test_every_json_writer_goes_through_one_function_that_refuses_nan():
    """The mechanism: the CLI writes JSON only through records.json_text (allow_nan=False after jsonable)."""
    import re

    import sentiment_cli.cli
    from sentiment_cli import records as output

    cli = Path(sentiment_cli.cli.__file__).parent
    calls = {path.name: len(re.findall(r"json\.dumps\(", path.read_text())) for path in cli.glob("*.py")}
    assert {name: n for name, n in calls.items() if n} == {}, calls
    assert len(re.findall(r"json\.dumps\(", Path(output.__file__).read_text())) == 1
    assert "allow_nan=False" in re.search(r"def json_text.*?\n\n\n", Path(output.__file__).read_text(), re.S)[0]
    value = {"a": float("nan"), "b": [float("inf"), -float("inf")], "c": b"\xff", "d": "\udc9b", "e": (1, 2.5)}
    assert output.json_text(value) == '{"a": null, "b": [null, null], "c": "\ufffd", "d": "\ufffd", "e": [1, 2.5]}'
    import numpy as np

    assert output.json_text({"n": np.float32("nan"), "i": np.int64(3)}) == '{"n": null, "i": 3}'
    # a JSON line stays one line for readers that split at any line break (Python's splitlines, JavaScript)
    assert output.json_text(["a\u2028b\x85c\u2029"]) == '["a\\u2028b\\u0085c\\u2029"]'


# -- F5, F20: everything user- or card-supplied is printed inert, headers included --------------------------


def with_labels(model: Path, labels: list[str]) -> Path:
    card = json.loads((model / "card.json").read_text())
    card["labels"] = labels
    (model / "card.json").write_text(json.dumps(card))  # card.json is not hashed: anyone can edit it
    return model


def assert_inert(text: str) -> None:
    assert "\x1b]" not in text, "an OSC sequence (a hyperlink) reached the terminal"
    assert "\x9b" not in text and not any("\udc80" <= c <= "\udcff" for c in text)


@pytest.mark.parametrize("positive", ["[/i]positive", "[link=https://evil.example]positive[/link]", "[bold]x"])
def test_class_names_holding_markup_are_printed_as_written(workdir, model, terminal, positive):
    with_labels(model, ["negative", positive])
    for args in (["-f", "table"], ["--explain", "-f", "table"]):
        result = runner.invoke(app, ["predict", "-m", "m", "r.txt", *args])
        assert result.exit_code == 0, result.output
        assert_inert(result.stdout)
        assert f"P({positive})" in result.stdout  # the header, as written
    result = runner.invoke(app, ["inspect", "m"])
    assert result.exit_code == 0, result.output
    assert f"1: {positive}" in result.stdout
    assert_inert(result.stdout)


def test_newlines_in_class_names_stay_in_their_cell(workdir, model, terminal):
    with_labels(model, ["neg\nx", "pos\tl\nine"])
    result = runner.invoke(app, ["predict", "-m", "m", "r.txt", "-f", "table"])
    assert result.exit_code == 0, result.output
    assert "P(pos\\x09l\\x0aine)" in result.stdout and "pos\\x09l\\x0aine" in result.stdout.split("\n")[2]
    assert len(result.stdout.strip().splitlines()) == 3  # header, rule, one row


def test_file_names_with_newlines_and_8_bit_csi_stay_inert(workdir, model, terminal):
    """F20: a newline kept a file name's row whole; a name's byte 0x9B (not UTF-8: an 8-bit CSI) shown as U+FFFD."""
    newline = "new\nline.txt"
    csi = os.fsdecode(b"nx\x9b2J.txt")
    for name in (newline, csi):
        Path(name).write_text("A great film\n")
    result = runner.invoke(app, ["predict", "-m", "m", newline, csi, "-f", "table"])
    assert result.exit_code == 0, result.output
    assert_inert(result.stdout)
    rows = result.stdout.strip().splitlines()[2:]
    assert len(rows) == 2 and "new\\x0aline.txt" in rows[0] and "nx\ufffd2J.txt" in rows[1]
    result = runner.invoke(app, ["predict", "-m", "m", os.fsdecode(b"gone\x9b.txt")])
    assert result.exit_code == 1 and "error: gone\ufffd.txt: no such file" in result.stderr
    assert_inert(result.stderr)
    table = Path("t\n.csv")
    table.write_text("text,label\nA wonderful film,pos\n")
    result = runner.invoke(app, ["predict", "-m", "m", str(table), "-f", "jsonl"])
    assert result.exit_code == 0, result.output
    assert any(line.startswith("read t\\x0a.csv as CSV") for line in result.stderr.splitlines()), result.stderr


def test_a_report_with_a_very_long_class_name_leaks_no_matplotlib_warning(model, tmp_path):
    import warnings

    pytest.importorskip("matplotlib")
    from sentiment_cli.reports import training_report

    with_labels(model, ["negative", "positive" * 40])
    card = Card.from_dict(json.loads((model / "card.json").read_text()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        training_report(card).write(tmp_path / "r.png")
    assert [str(w.message) for w in caught] == []


def test_a_shape_error_names_plain_numbers(model):
    card = json.loads((model / "card.json").read_text())
    card["litert"]["batch_size"] = 7
    (model / "card.json").write_text(json.dumps(card))
    result = runner.invoke(app, ["predict", "-m", str(model), "-"], input="a film\n")
    assert result.exit_code == 1
    assert "is (32, 1) int32, expected (7, length) int32" in result.stderr and "np." not in result.stderr


def test_tsv_output_reads_back_row_for_row_and_scores_the_same(workdir):
    """F20: TSV is written as TSV (never quoted; a tab or line break in a cell as a space), as sentiment reads it:
    Python's csv quoting broke a row at a tab and kept its quotes as text, changing the probability."""
    import csv

    texts = ['He said "wonderful", a film I loved', "The worst\tmovie ever", '"Great" film\nwith a second line', "Bad"]
    with open("q.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("text", "label", "note"), *((t, "pos" if i % 2 == 0 else "neg", t)
                                                                    for i, t in enumerate(texts))])  # fmt: skip
    result = runner.invoke(app, ["evaluate", "-m", "m", "q.csv", "--predictions", "p.tsv"])
    assert result.exit_code == 0, result.output
    written = Path("p.tsv").read_text(encoding="utf-8").split("\n")
    assert len(written) == 1 + len(texts) + 1 and written[-1] == ""  # a header, one line per review
    assert all(line.count("\t") == 4 for line in written[:-1])
    rows = [line.split("\t") for line in written[1:-1]]
    result = runner.invoke(app, ["predict", "-m", "m", "p.tsv", "-f", "jsonl"])
    assert result.exit_code == 0, result.output
    again = [json.loads(line)["probability"] for line in result.stdout.splitlines()]
    assert again == [float(row[2]) for row in rows]
    direct = runner.invoke(app, ["predict", "-m", "m", "q.csv", "-f", "jsonl"])
    assert again == [json.loads(line)["probability"] for line in direct.stdout.splitlines()]
    result = runner.invoke(app, ["predict", "-m", "m", "q.csv", "-f", "tsv", "--keep-columns", "note"])
    lines = result.stdout.split("\n")
    assert len(lines) == 1 + len(texts) + 1 and lines[3].endswith('\t"Great" film with a second line')


