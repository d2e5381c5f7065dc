"""``sentiment predict`` (and the app's --version/--help) through Typer's CliRunner."""

import csv
import io
import json

import pytest

from conftest import jsonl, make_reviews, runner, write_csv
from sentiment_cli import __version__
from sentiment_cli.api import load
from sentiment_cli.cli import app

REVIEWS = [text for text, _ in make_reviews(6, seed=11)]


@pytest.fixture
def review_files(tmp_path):
    paths = []
    for i, text in enumerate(REVIEWS[:3]):
        path = tmp_path / f"r{i}.txt"
        path.write_text(text + "\n")
        paths.append(path)
    return paths


def test_version_and_help():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"sentiment-cli {__version__}"
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("predict", "train", "inspect"):
        assert command in result.stdout
    train_help = runner.invoke(app, ["train", "--help"]).stdout
    assert "--lstm-units" in train_help and "--validation-split" in train_help


def test_predict_files_in_order_as_jsonl(tiny_model, review_files):
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), *map(str, review_files)])
    assert result.exit_code == 0, result.stderr
    records = jsonl(result.stdout)  # not a terminal: auto is JSON lines
    assert [r["source"] for r in records] == [str(p) for p in review_files]
    assert all(set(r) == {"source", "label", "probability"} for r in records)
    assert all(0.0 <= r["probability"] <= 1.0 for r in records)
    assert all(r["label"] == ("positive" if r["probability"] >= 0.5 else "negative") for r in records)
    assert result.stderr == ""


def test_predict_stdin_one_review_per_non_empty_line(tiny_model):
    text = f"{REVIEWS[0]}\n\n   \n{REVIEWS[1]}\r\n{REVIEWS[2]}"
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), "-"], input=text)
    assert result.exit_code == 0, result.stderr
    assert [r["source"] for r in jsonl(result.stdout)] == ["<stdin>:1", "<stdin>:4", "<stdin>:5"]


def test_predict_without_arguments_reads_piped_stdin(tiny_model):
    result = runner.invoke(app, ["predict", "-m", str(tiny_model)], input=REVIEWS[0])
    assert result.exit_code == 0, result.stderr
    assert [r["source"] for r in jsonl(result.stdout)] == ["<stdin>:1"]


def test_stdin_whole_and_file_per_line_agree(tiny_model, tmp_path):
    whole = runner.invoke(app, ["predict", "-m", str(tiny_model), "-", "--whole"], input=REVIEWS[0] + "\n")
    assert [r["source"] for r in jsonl(whole.stdout)] == ["<stdin>"]
    path = tmp_path / "many.txt"
    path.write_text("\n".join(REVIEWS) + "\n")
    per_line = runner.invoke(app, ["predict", "-m", str(tiny_model), "--per-line", str(path)])
    records = jsonl(per_line.stdout)
    assert [r["source"] for r in records] == [f"{path}:{i}" for i in range(1, 7)]
    assert records[0]["probability"] == jsonl(whole.stdout)[0]["probability"]


@pytest.mark.parametrize(("fmt", "delimiter"), [("csv", ","), ("tsv", "\t")])
def test_predict_csv_and_tsv(tiny_model, review_files, fmt, delimiter):
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), "--format", fmt, *map(str, review_files)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout), delimiter=delimiter))
    assert rows[0] == ["source", "label", "probability"]
    assert [row[0] for row in rows[1:]] == [str(p) for p in review_files]
    # each row is the library's prediction of that file's review: its label, its probability to the 6 decimals written
    expected = load(tiny_model).predict(REVIEWS[: len(review_files)])
    assert [row[1] for row in rows[1:]] == [p.label for p in expected]
    assert [float(row[2]) for row in rows[1:]] == pytest.approx([p.probability for p in expected], abs=5e-7)
    assert all(len(row) == 3 and (row[1] == "positive") == (float(row[2]) >= 0.5) for row in rows[1:])


def test_predict_table(tiny_model, review_files, monkeypatch):
    monkeypatch.chdir(review_files[0].parent)
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), "-f", "table", "r0.txt", "r1.txt"])
    assert result.exit_code == 0
    header, _, *rows = result.stdout.splitlines()
    assert header.split() == ["source", "┃", "label", "┃", "P(positive)", "┃", "review"]
    assert [row.split()[0] for row in rows] == ["r0.txt", "r1.txt"]
    assert REVIEWS[0][:20] in rows[0]


def test_threshold_moves_the_label(tiny_model, review_files):
    args = ["predict", "-m", str(tiny_model), str(review_files[0])]
    probability = jsonl(runner.invoke(app, args).stdout)[0]["probability"]
    high = jsonl(runner.invoke(app, [*args, "--threshold", "1.0"]).stdout)[0]
    low = jsonl(runner.invoke(app, [*args, "--threshold", "0.0"]).stdout)[0]
    assert high["probability"] == low["probability"] == probability
    assert (high["label"], low["label"]) == ("negative" if probability < 1.0 else "positive", "positive")


def test_missing_file_is_named_and_the_rest_still_classified(tiny_model, review_files, tmp_path):
    missing = tmp_path / "missing.txt"
    args = ["predict", "-m", str(tiny_model), str(review_files[0]), str(missing), str(tmp_path), str(review_files[1])]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert [r["source"] for r in jsonl(result.stdout)] == [str(review_files[0]), str(review_files[1])]
    assert f"error: {missing}: no such file" in result.stderr
    assert f"error: {tmp_path}: is a directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_2(tiny_model):
    assert runner.invoke(app, ["predict", "-m", str(tiny_model), "-", "-"], input="x").exit_code == 2
    assert runner.invoke(app, ["predict", "--format", "xml", "-"], input="x").exit_code == 2
    assert runner.invoke(app, ["predict", "--threshold", "2", "-"], input="x").exit_code == 2
    assert runner.invoke(app, ["train", "--epochs", "0"]).exit_code == 2


def test_bad_model_is_one_line_exit_1(tmp_path):
    result = runner.invoke(app, ["predict", "-m", str(tmp_path / "nope"), "-"], input="good")
    assert result.exit_code == 1
    shipped = "(or name a shipped model: default, imdb, three-class)"
    assert result.stderr.strip() == f"error: {tmp_path / 'nope'}: no such model directory {shipped}"


def test_output_that_would_replace_an_input_or_contradict_format_is_refused(tiny_model, tmp_path):
    data = write_csv(tmp_path / "same.csv", [("great wonderful film", 1), ("awful boring film", 0)])
    before = data.read_bytes()
    result = runner.invoke(app, ["predict", str(data), "-m", str(tiny_model), "-o", str(data)])
    assert result.exit_code == 2 and "is also an input: it would be replaced" in result.stderr
    assert data.read_bytes() == before
    link = tmp_path / "link.csv"
    link.symlink_to(data)  # the same file by another name
    assert runner.invoke(app, ["predict", str(data), "-m", str(tiny_model), "-o", str(link)]).exit_code == 2
    assert data.read_bytes() == before
    for target in (data, link):  # evaluate's --predictions refuses it as predict's -o does
        result = runner.invoke(app, ["evaluate", str(data), "-m", str(tiny_model), "--predictions", str(target)])
        assert result.exit_code == 2 and f"{target} is also the data: it would be replaced" in result.stderr
    assert data.read_bytes() == before
    result = runner.invoke(app, ["predict", str(data), "-m", str(tiny_model), "-o", str(tmp_path / "o.parquet"),
                                 "--format", "csv"])  # fmt: skip
    assert result.exit_code == 2 and "a .parquet file is written as Parquet, not csv" in result.stderr
    # .json means JSON lines for evaluate --predictions as for predict -o
    result = runner.invoke(app, ["predict", str(data), "-m", str(tiny_model), "-o", str(tmp_path / "p.json")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["evaluate", str(data), "-m", str(tiny_model), "--predictions",
                                 str(tmp_path / "e.json"), "-f", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    predicted = [json.loads(line)["label"] for line in (tmp_path / "p.json").read_text().splitlines()]
    evaluated = [json.loads(line)["label"] for line in (tmp_path / "e.json").read_text().splitlines()]
    assert predicted == evaluated and len(predicted) == 2
