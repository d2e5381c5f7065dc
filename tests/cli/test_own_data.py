"""Users' own data end to end: tables in and out of predict, N classes, label maps, Korean text."""

import csv
import io
import json

import numpy as np
import pytest

from conftest import (
    jsonl,
    make_reviews,
    make_three_class,
    runner,
    write_csv,
    write_jsonl,
)
from sentiment_cli.bundle import read_bundle
from sentiment_cli.cli import app
from sentiment_cli.runtime import Predictor
from sentiment_cli.textio import INVALID_HINT

CLASSES = ["negative", "neutral", "positive"]




# -- three classes ------------------------------------------------------------------------------


def test_three_class_model_card_and_runtime(three_class_model):
    bundle = read_bundle(three_class_model)
    assert bundle.labels == tuple(CLASSES)
    assert bundle.card.threshold is None and bundle.card.litert.output == "logits"
    assert bundle.card.label_scheme["kind"] == "sentiment3"
    assert bundle.card.data["columns"] == {"text": "tweet", "label": "sentiment", "id": None, "guessed": "text, label"}
    command = bundle.card.command
    assert command[:3] == ["sentiment", "train", "tweets.jsonl"]  # as typed (make_fixtures.py trains in its folder)
    assert command[command.index("--lstm-units") + 1] == "4" and "--arch" not in command  # defaults left out
    assert bundle.card.metrics["test" if "test" in bundle.card.metrics else "validation"]["accuracy"] >= 0.9
    texts = [text for text, _ in make_three_class(30, seed=9)]
    probabilities = Predictor(bundle).probabilities(texts)
    assert probabilities.shape == (30, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-9)


def test_three_class_predict_jsonl_and_csv(three_class_model, tmp_path):
    rows = make_three_class(9, seed=11)
    path = tmp_path / "reviews.txt"
    path.write_text("\n".join(text for text, _ in rows) + "\n")
    result = runner.invoke(app, ["predict", "-m", str(three_class_model), "--per-line", str(path)])
    assert result.exit_code == 0, result.stderr
    records = jsonl(result.stdout)
    assert [r["source"] for r in records] == [f"{path}:{i}" for i in range(1, 10)]
    for record in records:
        assert list(record) == ["source", "label", "probability", "probabilities"]
        assert list(record["probabilities"]) == CLASSES
        assert record["label"] == max(record["probabilities"], key=record["probabilities"].get)
        assert record["probability"] == record["probabilities"][record["label"]]
    assert sum(r["label"] == y for r, (_, y) in zip(records, rows, strict=True)) >= 8

    result = runner.invoke(app, ["predict", "-m", str(three_class_model), "--per-line", str(path), "-f", "csv"])
    table = list(csv.reader(io.StringIO(result.stdout)))
    assert table[0] == ["source", "label", "probability", "p_negative", "p_neutral", "p_positive"]
    first = records[0]
    assert table[1] == [first["source"], first["label"], f"{first['probability']:.6f}"] + [
        f"{first['probabilities'][c]:.6f}" for c in CLASSES
    ]
    result = runner.invoke(app, ["predict", "-m", str(three_class_model), str(path), "--threshold", "0.3"])
    assert result.exit_code == 2 and "two-class models" in result.stderr


def test_three_class_evaluate_reports_per_class_and_macro_recall(three_class_model, tmp_path):
    rows = make_three_class(60, seed=12)
    data = write_jsonl(tmp_path / "test.jsonl", [{"text": t, "label": y.upper()} for t, y in rows])
    result = runner.invoke(app, ["evaluate", str(data), "-m", str(three_class_model), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    scores = json.loads(result.stdout)
    assert (scores["schema"], scores["schema_version"]) == ("sentiment-cli/evaluate", 1)
    assert scores["classes"] == CLASSES and scores["n"] == 60
    matrix = np.array(scores["confusion_matrix"])
    assert matrix.shape == (3, 3) and matrix.sum(axis=1).tolist() == [20, 20, 20]
    recall = [scores["per_class"][c]["recall"] for c in CLASSES]
    assert recall == pytest.approx(np.diag(matrix) / 20)
    assert scores["macro_recall"] == pytest.approx(np.mean(recall))
    assert scores["threshold"] is None and scores["precision"] is None  # binary-only fields are null
    table = runner.invoke(app, ["evaluate", str(data), "-m", str(three_class_model)])
    assert "macro recall" in table.stdout and "Per class" in table.stdout and "Confusion matrix" in table.stdout


@pytest.mark.slow  # trains the three-class model (15 s)
def test_three_class_inspect_and_explain(three_class_model, wide_stdout):
    result = runner.invoke(app, ["inspect", str(three_class_model)])
    assert result.exit_code == 0, result.stderr
    assert "softmax over 3 classes: p_c = exp(z_c) / (exp(z_1) + … + exp(z_3))" in result.stdout
    assert "0: negative, 1: neutral, 2: positive" in result.stdout
    result = runner.invoke(
        app, ["predict", "-m", str(three_class_model), "-", "--explain", "-f", "jsonl"], input="the movie was dull\n"
    )
    assert result.exit_code == 0, result.stderr
    (record,) = jsonl(result.stdout)
    assert record["label"] == "negative"
    shown = runner.invoke(
        app, ["predict", "-m", str(three_class_model), "-", "--explain", "-f", "table"], input="the movie was dull\n"
    ).stdout
    assert "P(negative)" in shown and "toward negative: dull" in shown
    weights = {t["token"]: t["weight"] for t in record["explanation"]}
    assert max(weights, key=weights.get) == "dull"  # the word that pushed most toward the predicted class


# -- tables in predict --------------------------------------------------------------------------


@pytest.fixture
def review_table(tmp_path):
    rows = [(f"r{i}", text, 5 if label else 1) for i, (text, label) in enumerate(make_reviews(6, seed=4))]
    path = tmp_path / "reviews.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review_id", "review", "stars"])
        writer.writerows(rows[:3])
        writer.writerow(["r-empty", "", 3])
        writer.writerows(rows[3:])
    return path, rows


def test_predict_a_csv_gives_one_record_per_row_with_ids_and_kept_columns(tiny_model, review_table):
    path, rows = review_table
    args = ["predict", "-m", str(tiny_model), str(path), "--id-column", "review_id", "--keep-columns", "stars"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    records = jsonl(result.stdout)
    assert [r["id"] for r in records] == ["r0", "r1", "r2", "r-empty", "r3", "r4", "r5"]
    assert [r["source"] for r in records] == [f"{path}:{line}" for line in range(2, 9)]
    assert [r["stars"] for r in records] == ["1", "5", "1", "3", "5", "1", "5"]
    empty = records[3]
    assert empty["label"] is None and empty["probability"] is None
    assert result.stderr == (
        f"read {path} as CSV with a header row; text column 'review', id column 'review_id' (chosen automatically: "
        f"text)\nwarning: {path}: 1 row (line 5) without text: written with no label\n"
    )
    labelled = [r for r in records if r["label"] is not None]
    assert [r["label"] == "positive" for r in labelled] == [stars == 5 for _, _, stars in rows]


def test_predict_parquet_in_and_out_matches_jsonl(tiny_model, review_table, tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    _, rows = review_table
    source = tmp_path / "reviews.parquet"
    pq.write_table(pa.table({"id": [r[0] for r in rows], "text": [r[1] for r in rows]}), source, row_group_size=2)
    out = tmp_path / "scored.parquet"
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), str(source), "--id-column", "id", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    table = pq.read_table(out)
    assert table.column_names == ["source", "id", "label", "probability"]
    assert table.column("id").to_pylist() == [r[0] for r in rows]
    assert table.column("source").to_pylist() == [f"{source}:{i}" for i in range(1, 7)]
    lines = runner.invoke(app, ["predict", "-m", str(tiny_model), str(source), "--id-column", "id"]).stdout
    assert table.column("probability").to_pylist() == [r["probability"] for r in jsonl(lines)]
    assert not list(tmp_path.glob(".scored.parquet.tmp-*"))


def test_malformed_table_rows_are_errors_and_the_rest_classified(tiny_model, tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text("text\tlabel\ngreat superb film\t1\nno label column here\nawful dull film\t0\na\tb\tc\nd\n")
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), str(path)])
    assert result.exit_code == 1
    assert [r["source"] for r in jsonl(result.stdout)] == [f"{path}:2", f"{path}:4"]
    assert result.stderr == (  # each kind of fault named once, at its first line
        f"read {path} as TSV with a header row; text column 'text' (chosen automatically: text)\n"
        f"error: {path}: 3 malformed rows (lines 3, 5, 6) not classified (line 3: 1 field, expected 2; "
        "line 5: 3 fields, expected 2)\n"
    )


def test_plain_text_files_stay_one_review(tiny_model, tmp_path):
    path = tmp_path / "review.txt"
    path.write_text("text,label\ngreat,1\nawful,0\n")
    records = jsonl(runner.invoke(app, ["predict", "-m", str(tiny_model), str(path)]).stdout)
    assert [r["source"] for r in records] == [str(path)]
    as_table = runner.invoke(app, ["predict", "-m", str(tiny_model), str(path), "--input-format", "csv"])
    assert [r["source"] for r in jsonl(as_table.stdout)] == [f"{path}:2", f"{path}:3"]


def test_parquet_rows_are_counted_as_rows_and_evaluate_reads_a_dev_split(tiny_model, tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "reviews.parquet"
    pq.write_table(pa.table({"text": ["great superb film", None, "awful dull film"]}), path)
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), str(path)])
    assert result.stderr.splitlines()[-1] == f"warning: {path}: 1 row (row 2) without text: written with no label"
    rows = [("great superb film", 1, "train"), ("awful dull film", 0, "dev"), ("superb great", 1, "dev")]
    data = tmp_path / "split.csv"
    data.write_text("text,label,split\n" + "".join(f"{t},{y},{s}\n" for t, y, s in rows))
    for name in ("dev", "validation", "DEV"):
        result = runner.invoke(app, ["evaluate", str(data), "-m", str(tiny_model), "--split", name, "-f", "json"])
        assert result.exit_code == 0, result.stderr
        assert (json.loads(result.stdout)["split"], json.loads(result.stdout)["n"]) == ("validation", 2)


def test_json_values_in_csv_cells_are_written_as_json(tiny_model, tmp_path):
    path = tmp_path / "types.jsonl"
    path.write_text('{"id": {"x": 1}, "text": "great film", "flag": true, "tags": ["a", "b"], "n": 2.5}\n')
    options = ["--id-column", "id", "--keep-columns", "flag,tags,n", "-f", "csv", "--no-csv-safe"]
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), str(path), *options])
    row = next(csv.DictReader(io.StringIO(result.stdout)))
    assert (row["id"], row["flag"], row["tags"], row["n"]) == ('{"x": 1}', "true", '["a", "b"]', "2.5")


def test_a_table_with_invalid_utf8_is_read_with_one_warning(tiny_model, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_bytes(b"text\nA great \xff film\nfine\n")
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), str(path)])
    assert result.exit_code == 0 and len(jsonl(result.stdout)) == 2
    said = f"warning: {path}: invalid UTF-8 (line 2), replaced with U+FFFD; {INVALID_HINT}"
    assert result.stderr.splitlines()[-1] == said


def test_a_table_on_standard_input_is_read_as_the_same_file_is(tiny_model, tmp_path, monkeypatch):
    (tmp_path / "spool").mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "spool"))  # where the copy of standard input is kept
    table = 'id,review\nr1,"great superb film,\nloved it"\nr2,\nr3,awful dull film\n'
    path = tmp_path / "reviews.csv"
    path.write_text(table)
    options = ["--id-column", "id", "--text-column", "review"]
    from_file = runner.invoke(app, ["predict", "-m", str(tiny_model), str(path), *options])
    piped = runner.invoke(app, ["predict", "-m", str(tiny_model), "-", "--input-format", "csv", *options], input=table)
    assert piped.exit_code == from_file.exit_code == 0, piped.stderr
    records = jsonl(piped.stdout)
    assert [(r["source"], r["id"]) for r in records] == [("<stdin>:2", "r1"), ("<stdin>:4", "r2"), ("<stdin>:5", "r3")]
    assert [r["probability"] for r in records] == [r["probability"] for r in jsonl(from_file.stdout)]
    assert records[1]["label"] is None
    assert piped.stderr == from_file.stderr.replace(str(path), "<stdin>")
    assert "<stdin>: 1 row (line 4) without text" in piped.stderr
    assert list((tmp_path / "spool").iterdir()) == []  # the copy is removed


def test_a_table_on_standard_input_is_named_in_messages_not_its_copy(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    bad_column = runner.invoke(
        app, ["predict", "-m", str(tiny_model), "--input-format", "jsonl", "--text-column", "body"],
        input='{"review": "great film"}\n{"review": "awful film"}\n',
    )  # fmt: skip
    assert bad_column.exit_code == 1
    assert bad_column.stderr == "error: <stdin>: no text column 'body' (columns: review)\n"
    binary = runner.invoke(app, ["predict", "-m", str(tiny_model), "-", "--input-format", "tsv"], input=b"a\x00b\tc\n")
    assert binary.exit_code == 1
    assert binary.stderr.startswith("error: <stdin>: not a text table (NUL bytes at line 1)")
    whole = runner.invoke(app, ["predict", "-m", str(tiny_model), "-", "--whole", "--input-format", "csv"], input="a\n")
    assert whole.exit_code == 2
    assert "--whole reads standard input as one review, --input-format csv as a table" in whole.stderr


def test_standard_input_is_spooled_to_a_file_removed_afterwards(tmp_path, monkeypatch):
    from sentiment_cli.reviews import spooled

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    data = bytes(range(256)) * 1000  # more than one read block, every byte value
    with spooled(io.BytesIO(data)) as copy:
        assert copy.read_bytes() == data
        assert copy.parent.parent == tmp_path
    assert not copy.exists() and list(tmp_path.iterdir()) == []


def test_a_parquet_table_on_standard_input(tiny_model, tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "reviews.parquet"
    pq.write_table(pa.table({"text": ["great superb film", "awful dull film"]}), path)
    result = runner.invoke(
        app, ["predict", "-m", str(tiny_model), "-", "--input-format", "parquet"], input=path.read_bytes()
    )
    assert result.exit_code == 0, result.stderr
    assert [r["source"] for r in jsonl(result.stdout)] == ["<stdin>:1", "<stdin>:2"]
    from_file = jsonl(runner.invoke(app, ["predict", "-m", str(tiny_model), str(path)]).stdout)
    assert [r["probability"] for r in jsonl(result.stdout)] == [r["probability"] for r in from_file]


# -- label maps and Korean ------------------------------------------------------------------------


def test_explain_over_a_table_keeps_rows_without_text(tiny_model, review_table):
    path, _ = review_table
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), str(path), "--explain", "-f", "jsonl"])
    assert result.exit_code == 0, result.stderr
    records = jsonl(result.stdout)
    assert len(records) == 7 and records[3]["label"] is None and records[3]["explanation"] == []
    assert all(record["explanation"] for i, record in enumerate(records) if i != 3)


# -- inert output and refused options (hostile input) --------------------------------------------------


def test_markup_and_control_characters_in_reviews_and_names_are_inert(tiny_model, tmp_path, wide_stdout):
    odd = tmp_path / "old[bold red]x[dim]"
    odd.mkdir()
    review = odd / "r[i].txt"
    review.write_text("The ending [/i] was weak [link=https://evil.example]x[/link] \x1b]8;;http://e\x07 \x1b[31mred\n")
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), str(review), "-f", "table"])
    assert result.exit_code == 0, result.stderr
    assert "The ending [/i] was weak [link=" in result.stdout  # shown as written, not interpreted
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    missing = runner.invoke(app, ["predict", "-m", str(tiny_model), str(odd / "gone\x1b[2J.txt")])
    assert missing.exit_code == 1
    assert missing.stderr == f"error: {odd}/gone\\x1b[2J.txt: no such file\n"


def test_output_that_would_replace_the_training_data_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_csv(data / "d.csv", make_reviews(40))
    for out, problem in (
        (data, "is also the training data: it would be replaced"),
        (tmp_path, f"holds the training data {data}: replacing it would delete it"),
        (data / "model", f"is inside the training data {data}"),
    ):  # the check every output path gets (files.clash)
        result = runner.invoke(app, ["train", str(data), "--out", str(out), "--force"])
        assert result.exit_code == 1, out
        assert result.stderr == f"error: {out} {problem} (write it elsewhere)\n"
    assert (data / "d.csv").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["predict", "--threshold", "nan", "-"],
            "Invalid value for '--threshold': must be a number from 0 to 1, got nan",
        ),
        (
            ["train", "--learning-rate", "inf"],
            "Invalid value for '--learning-rate': inf is not in the range 0.0<=x<=1.0.",
        ),
        (
            ["train", "--learning-rate", "nan"],
            "Invalid value for '--learning-rate': learning_rate must be a number above 0 and at most 1, got nan",
        ),
    ],
)
def test_non_finite_options_are_usage_errors(args, message, tmp_path):
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "m")] if args[0] == "train" else args, input="x\n")
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == f"Error: {message}" and result.stdout == ""
    assert not (tmp_path / "m").exists()


def test_kept_columns_may_not_overwrite_the_output(tiny_model, review_table):
    path, _ = review_table
    for keep in ("label", "probability,stars", "stars,stars"):
        result = runner.invoke(app, ["predict", "-m", str(tiny_model), str(path), "--keep-columns", keep])
        assert result.exit_code == 2, keep
        assert "--keep-columns" in result.stderr


def test_json_array_and_header_options_in_predict(tiny_model, tmp_path):
    array = tmp_path / "reviews.json"
    array.write_text(json.dumps([{"id": 1, "text": "great superb film"}, {"id": 2, "text": "awful dull film"}]))
    records = jsonl(runner.invoke(app, ["predict", "-m", str(tiny_model), str(array), "--id-column", "id"]).stdout)
    assert [(r["id"], r["label"]) for r in records] == [(1, "positive"), (2, "negative")]
    table = tmp_path / "moods.csv"
    table.write_text("Tweet Text,Mood\ngreat superb film,happy\nawful dull film,sad\ngreat fun,happy\n")
    detected = jsonl(runner.invoke(app, ["predict", "-m", str(tiny_model), str(table)]).stdout)
    assert [r["source"] for r in detected] == [f"{table}:{n}" for n in (2, 3, 4)]  # the header is not a review
    forced = runner.invoke(app, ["predict", "-m", str(tiny_model), str(table), "--no-header", "--text-column", "1"])
    assert [r["source"] for r in jsonl(forced.stdout)] == [f"{table}:{n}" for n in (1, 2, 3, 4)]


def test_predict_picks_the_text_even_under_a_label_like_name_and_says_so(tiny_model, tmp_path):
    path = tmp_path / "xy.csv"
    path.write_text("title,x,y\nA,foo,great wonderful film\nB,bar,awful boring film\n", encoding="utf-8")
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), str(path), "-f", "jsonl"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"read {path} as CSV with a header row; text column 'y' (chosen automatically: text)\n"
    assert [r["label"] for r in jsonl(result.stdout)] == ["positive", "negative"]  # y's reviews, not x's words
    named = runner.invoke(app, ["predict", "-m", str(tiny_model), str(path), "-f", "jsonl", "--text-column", "y"])
    assert named.stderr == "" and named.stdout == result.stdout  # named: nothing to say


def test_the_terminal_table_carries_the_id_and_kept_columns_too(tiny_model, review_table, monkeypatch):
    path, _ = review_table
    monkeypatch.chdir(path.parent)  # a short source name: one line a row
    args = ["predict", "-m", str(tiny_model), path.name, "--id-column", "review_id", "--keep-columns", "stars"]
    table = runner.invoke(app, [*args, "-f", "table"])
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["source", "┃", "id", "┃", "label", "┃", "P(positive)", "┃", "stars", "┃", "review"]
    records = jsonl(runner.invoke(app, [*args, "-f", "jsonl"]).stdout)
    for line, record in zip(lines[2:], records, strict=True):
        cells = [cell.strip() for cell in line.split("│")]
        assert cells[1:3] == [record["id"], record["label"] or "-"] and cells[4] == record["stars"]


def test_parquet_out_keeps_the_types_parquet_in_had(tiny_model, tmp_path):
    import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    when = datetime.datetime(2026, 11, 28, 12, 0)
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({
        "ID": pa.array([7, 8], pa.int64()), "stars": [4.5, None], "when": [when, when], "tags": [["a"], []],
        "review": ["great wonderful film", "awful boring film"],
    }), source)  # fmt: skip
    out = tmp_path / "out.parquet"
    args = ["predict", "-m", str(tiny_model), str(source), "--id-column", "ID", "--keep-columns", "stars,when,tags"]
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    table = pq.read_table(out)
    assert table.schema.field("id").type == pa.int64() and table.schema.field("stars").type == pa.float64()
    assert table.schema.field("when").type == pa.timestamp("us") and table.schema.field("tags").type == pa.list_(
        pa.string()
    )
    rows = table.to_pylist()
    assert [(r["id"], r["stars"], r["when"], r["tags"]) for r in rows] == [(7, 4.5, when, ["a"]), (8, None, when, [])]
    assert [r["label"] for r in rows] == ["positive", "negative"]
    # a CSV has no types: its columns stay text, as before, alone or beside the Parquet file
    csv_in = write_csv(tmp_path / "in.csv", [("great wonderful film", 1)], header=("review", "stars"))
    runner.invoke(app, ["predict", "-m", str(tiny_model), str(csv_in), "--keep-columns", "stars", "-o", str(out)])
    assert pq.read_table(out).schema.field("stars").type == pa.string()
    both = [str(source), str(csv_in), "--keep-columns", "stars", "-o", str(out)]
    assert runner.invoke(app, ["predict", "-m", str(tiny_model), *both]).exit_code == 0
    assert pq.read_table(out).column("stars").to_pylist() == ["4.5", None, "1"]


def test_options_no_input_uses_are_said_to_be_unused(tiny_model, tmp_path):
    path = tmp_path / "review.txt"
    path.write_text("great wonderful film", encoding="utf-8")
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), str(path), "--text-column", "x",
                                 "--keep-columns", "stars", "--whole"])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "warning: --text-column, --keep-columns apply to tables (.csv, .tsv, .jsonl, .parquet, or --input-format), "
        "and no input is one: unused",
    ]  # --whole of a file says it is one review (no notice of several lines): used
    assert [r["label"] for r in jsonl(result.stdout)] == ["positive"]
    assert set(jsonl(result.stdout)[0]) == {"source", "label", "probability"}  # no empty kept columns
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), str(path), "--id-column", "x", "-f", "csv"])
    assert result.stderr.startswith("warning: --id-column applies to tables")
    assert result.stdout.splitlines()[0] == "source,label,probability"  # no empty id column
    table = tmp_path / "reviews.csv"
    table.write_text("text\ngreat film\nawful film\n")
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), str(table), "--per-line"])
    assert result.stderr.splitlines()[0] == (
        "warning: --per-line applies to plain text files; tables and standard input are read by row or line: unused"
    )
    assert len(jsonl(result.stdout)) == 2
