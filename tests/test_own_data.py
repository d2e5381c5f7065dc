"""Users' own data end to end: tables in and out of predict, N classes, label maps, Korean text."""

import csv
import io
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import (
    TINY_TRAIN_ARGS,
    make_korean,
    make_reviews,
    make_three_class,
    train_tiny,
    write_csv,
    write_jsonl,
)
from sentiment_cli.bundle import read_bundle
from sentiment_cli.cli import app
from sentiment_cli.runtime import Predictor
from sentiment_cli.textio import INVALID_HINT

runner = CliRunner()
CLASSES = ["negative", "neutral", "positive"]


def jsonl(text):
    return [json.loads(line) for line in text.splitlines()]


# -- three classes ------------------------------------------------------------------------------


@pytest.mark.slow  # trains the three-class model (15 s)
def test_three_class_model_card_and_runtime(three_class_model):
    bundle = read_bundle(three_class_model)
    assert bundle.labels == tuple(CLASSES)
    assert bundle.card.threshold is None and bundle.card.litert.output == "logits"
    assert bundle.card.label_scheme["kind"] == "sentiment3"
    assert bundle.card.data["columns"] == {"text": "tweet", "label": "sentiment", "id": None, "guessed": "text, label"}
    command = bundle.card.command
    assert command[:3] == ["sentiment", "train", str(three_class_model.parent / "tweets.jsonl")]
    assert command[command.index("--lstm-units") + 1] == "4" and "--arch" not in command  # defaults left out
    assert bundle.card.metrics["test" if "test" in bundle.card.metrics else "validation"]["accuracy"] >= 0.9
    texts = [text for text, _ in make_three_class(30, seed=9)]
    probabilities = Predictor(bundle).probabilities(texts)
    assert probabilities.shape == (30, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-9)


@pytest.mark.slow  # trains the three-class model (15 s)
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


@pytest.mark.slow  # trains the three-class model (15 s)
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


@pytest.mark.slow
def test_train_with_a_label_map_records_classes_and_skipped_rows(tmp_path):
    rows = [(text, 5 if label else 1) for text, label in make_reviews(300, seed=5)] + [("meh", 3), ("", 4)]
    data = write_csv(tmp_path / "stars.csv", rows, header=("text", "stars"))
    out = train_tiny(tmp_path / "m", data, "--label-map", "1-2=negative,3=drop,4-5=positive", "--epochs", "2")
    card = json.loads((out / "card.json").read_text())
    assert card["labels"] == ["negative", "positive"]
    assert card["label_scheme"]["kind"] == "mapped"
    assert card["data"]["rows_read"] == 302 and card["data"]["rows_used"] == 300
    assert card["data"]["rows_skipped"] == {"without text": 1, "whose label the label map drops": 1}
    # evaluate maps the same stars through the card's own label map: 1 is negative, 5 positive, 3 dropped
    result = runner.invoke(app, ["evaluate", str(data), "-m", str(out), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["n"] == 300 and scores["accuracy"] >= 0.9
    assert scores["rows_skipped"] == {"without text": 1, "whose label the label map drops": 1}


@pytest.mark.slow
def test_train_reports_columns_labels_and_skips_on_stderr(tmp_path):
    rows = [(text, label) for text, label in make_reviews(200, seed=6)] + [("no label here", "")]
    data = write_csv(tmp_path / "d.csv", rows, header=("Comment", "Polarity"))
    args = ["train", str(data), "--out", str(tmp_path / "m"), *TINY_TRAIN_ARGS, "--epochs", "1", "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)  # stdout is one JSON object; everything else went to stderr
    assert (summary["schema"], summary["schema_version"]) == ("sentiment-cli/train", 1)
    assert summary["labels"] == ["negative", "positive"] and summary["out"] == str(tmp_path / "m")
    assert summary["data"]["rows_skipped"] == {"without a label": 1}
    assert summary["metrics"]["validation"]["n"] == 20
    assert (
        f"read {data} as CSV with a header row; text column 'Comment', label column 'Polarity' "
        "(chosen automatically: text, label)"
    ) in result.stderr
    assert "labels: 0 -> negative, 1 -> positive" in result.stderr
    assert "warning: skipped 1 row without a label: line 202" in result.stderr
    assert "Read 200 reviews" in result.stderr and "(no test split)" in result.stderr


@pytest.mark.slow
def test_korean_reviews_get_character_ngrams(tmp_path):
    data = write_jsonl(tmp_path / "steam.jsonl", [{"document": t, "label": y} for t, y in make_korean(400, seed=7)])
    out = train_tiny(tmp_path / "ko", data)
    bundle = read_bundle(out)
    assert (bundle.config.tokenizer, bundle.config.char_ngrams) == ("words", "on")
    assert bundle.encoder.units == "words" and bundle.encoder.ngrams.char_order == 4
    # 영화가 and 영화를 share the stem 영화: the bag knows its characters and their bigram
    shared = set(bundle.encoder.ngrams.ids(["영화가"])) & set(bundle.encoder.ngrams.ids(["영화를"]))
    assert len(shared) >= 4  # the every-review id, 영, 화, 영화
    assert bundle.card.metrics["test" if "test" in bundle.card.metrics else "validation"]["accuracy"] >= 0.9
    records = jsonl(
        runner.invoke(app, ["predict", "-m", str(out), "-"], input="영화가 진짜 최고\n게임은 너무 최악\n").stdout
    )
    assert [r["label"] for r in records] == ["positive", "negative"]


@pytest.mark.slow
def test_japanese_reviews_train_on_characters(tmp_path):
    rows = [("この映画は最高でした" if i % 2 else "この映画は最悪でした", i % 2) for i in range(200)]
    out = train_tiny(tmp_path / "ja", write_csv(tmp_path / "ja.csv", rows), "--epochs", "3")
    bundle = read_bundle(out)
    assert bundle.encoder.units == "chars" and bundle.config.char_ngrams == "on"
    assert bundle.encoder.encode("この映画").token_ids == bundle.encoder.vocabulary.ids(list("この映画"))
    records = jsonl(runner.invoke(app, ["predict", "-m", str(out), "-"], input="最高でした\n最悪でした\n").stdout)
    assert [r["label"] for r in records] == ["positive", "negative"]


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
    "args",
    [["predict", "--threshold", "nan", "-"], ["train", "--learning-rate", "inf"], ["train", "--learning-rate", "nan"]],
)
def test_non_finite_options_are_usage_errors(args, tmp_path):
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "m")] if args[0] == "train" else args, input="x\n")
    assert result.exit_code == 2, result.output


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--seed", "-1", "0<=x<=4294967295"),
        ("--seed", "4294967296", "0<=x<=4294967295"),
        ("--learning-rate", "1e308", "0.0<=x<=1.0"),
        ("--learning-rate", "0", "learning_rate must be a number above 0 and at most 1"),
        ("--lstm-units", "100000", "1<=x<=4096"),
        ("--embedding-dim", "5000", "1<=x<=4096"),
        ("--dense-units", "4097", "1<=x<=4096"),
        ("--ngram-order", "9", "1<=x<=8"),
    ],
)
def test_training_options_out_of_range_are_usage_errors_before_any_work(tmp_path, option, value, allowed):
    """Each was a traceback (or an out-of-memory error) after the data was read and TensorFlow loaded."""
    data = write_csv(tmp_path / "d.csv", make_reviews(20))
    result = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m"), option, value])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.stderr and allowed in result.stderr
    assert "Read" not in result.stderr and not (tmp_path / "m").exists()


def test_training_settings_out_of_range_are_refused_by_the_api():
    from sentiment_cli.config import ModelConfig, TrainConfig

    with pytest.raises(ValueError, match=r"seed must be from 0 to 4294967295 \(2\*\*32 - 1\), got -1"):
        TrainConfig(seed=-1)
    with pytest.raises(ValueError, match="learning_rate must be a number above 0 and at most 1, got 1e\\+308"):
        TrainConfig(learning_rate=1e308)
    with pytest.raises(ValueError, match="lstm_units must be from 1 to 4,096, got 100000"):
        ModelConfig(lstm_units=100_000)
    assert TrainConfig(seed=2**32 - 1, learning_rate=1.0).seed == 2**32 - 1


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


@pytest.mark.slow
def test_a_validation_split_column_is_used_for_validation(tmp_path):
    rows = [
        {"text": text, "label": label, "split": "dev" if i % 5 == 0 else "TRAIN"}
        for i, (text, label) in enumerate(make_reviews(250, seed=8))
    ]
    out = train_tiny(tmp_path / "m", write_jsonl(tmp_path / "d.jsonl", rows), "--epochs", "2")
    card = json.loads((out / "card.json").read_text())
    assert card["data"]["splits"] == {"train": 200, "validation": 50}
    assert card["training"]["train_reviews"] == 200 and card["training"]["validation_reviews"] == 50
    assert card["metrics"]["validation"]["n"] == 50


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
