"""The ``sentiment`` command through Typer's CliRunner, and once through the real console script."""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import TINY_TRAIN_ARGS, make_reviews, write_csv
from sentiment_cli import __version__
from sentiment_cli.cli import app

runner = CliRunner()
REVIEWS = [text for text, _ in make_reviews(6, seed=11)]


@pytest.fixture
def review_files(tmp_path):
    paths = []
    for i, text in enumerate(REVIEWS[:3]):
        path = tmp_path / f"r{i}.txt"
        path.write_text(text + "\n")
        paths.append(path)
    return paths


def jsonl(text):
    return [json.loads(line) for line in text.splitlines()]


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
    rows = list(csv.reader(io.StringIO(result.stdout), delimiter=delimiter))
    assert rows[0] == ["source", "label", "probability"]
    assert [row[0] for row in rows[1:]] == [str(p) for p in review_files]


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
    shipped = "(or name a shipped model: default)"
    assert result.stderr.strip() == f"error: {tmp_path / 'nope'}: no such model directory {shipped}"


def test_inspect_table_and_json(tiny_model):
    table = runner.invoke(app, ["inspect", str(tiny_model)])
    assert table.exit_code == 0, table.stderr
    assert "Bidirectional" in table.stdout and "2 × 4 × ((8+4)×4 + 4) = 416" in table.stdout
    assert "Why: dense receives 8 features from bidirectional_lstm, not 4" in table.stdout
    assert "Model card" in table.stdout
    data = json.loads(runner.invoke(app, ["inspect", str(tiny_model), "--format", "json"]).stdout)
    assert data["total_params"] == data["trainable_params"] == sum(layer["params"] for layer in data["layers"])
    assert data["card"]["model"]["embedding_dim"] == 8


def test_inspect_default_is_the_shipped_model():
    data = json.loads(runner.invoke(app, ["inspect", "--format", "json"]).stdout)
    assert data["card"]["data"]["splits"]["train"] == 25_000 + 15_422  # IMDB and tweets


def test_train_refuses_existing_output_before_training(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    data = write_csv(tmp_path / "d.csv", make_reviews(40))
    result = runner.invoke(app, ["train", str(data), "--out", str(out)])
    assert result.exit_code == 1
    assert "exists and is not empty (pass --force to replace it)" in result.stderr
    assert (out / "precious.txt").read_text() == "keep me"


def test_train_data_errors_are_one_line(tmp_path):
    one_class = write_csv(tmp_path / "pos.csv", [("good film", 1)] * 20)
    result = runner.invoke(app, ["train", str(one_class), "--out", str(tmp_path / "m"), *TINY_TRAIN_ARGS])
    assert result.exit_code == 1
    assert result.stderr == f"error: {one_class} has only one label: '1'; at least two classes are needed\n"
    assert not (tmp_path / "m").exists()
    # One review per class: the negative one is held out for validation, and the message says so.
    two = write_csv(tmp_path / "two.csv", [("good film", 1), ("bad film", 0)])
    result = runner.invoke(app, ["train", str(two), "--out", str(tmp_path / "m"), *TINY_TRAIN_ARGS, "--seed", "1"])
    assert result.exit_code == 1
    assert "left to fit on (the " in result.stderr and "reviews all went to the validation split)" in result.stderr


@pytest.mark.slow
def test_train_downloads_from_data_url(tmp_path, monkeypatch):
    folder = tmp_path / "src"
    from conftest import write_folder

    write_folder(folder / "aclImdb", {"train": make_reviews(60), "test": make_reviews(20, seed=3)})
    archive = shutil.make_archive(str(tmp_path / "imdb"), "gztar", folder)
    monkeypatch.setenv("SENTIMENT_CLI_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "model"
    args = ["train", "--data-url", Path(archive).as_uri(), "--out", str(out), *TINY_TRAIN_ARGS, "--epochs", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    card = json.loads((out / "card.json").read_text())
    assert card["data"]["splits"] == {"train": 60, "test": 20}
    assert card["data"]["source"].startswith(str(tmp_path / "cache"))
    assert "test" in result.stdout  # the metrics table


def console_script() -> str:
    script = Path(sys.executable).with_name("sentiment")
    if not script.exists():
        pytest.skip("the sentiment console script is not installed next to this Python")
    return str(script)


def test_console_script_pipes_and_exit_codes(tiny_model, tmp_path):
    env = {**os.environ, "COLUMNS": "100"}
    text = "\n".join(REVIEWS) + "\n"
    result = subprocess.run(
        [console_script(), "predict", "--model", str(tiny_model), "-"],
        input=text,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert [r["source"] for r in jsonl(result.stdout)] == [f"<stdin>:{i}" for i in range(1, 7)]
    assert result.stderr == ""  # nothing from LiteRT or TensorFlow leaks onto stderr

    module = subprocess.run([sys.executable, "-m", "sentiment_cli", "--help"], capture_output=True, text=True)
    assert module.returncode == 0 and "predict" in module.stdout


def test_closed_stdout_exits_quietly(tiny_model, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text((REVIEWS[0] + "\n") * 5000)
    command = f"{console_script()} predict --model {tiny_model} - < {big} | head -1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True)
    assert len(result.stdout.splitlines()) == 1
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
    assert result.returncode == 141


def test_evaluate_table_and_json(tiny_model, imdb_like, wide_stdout):
    table = runner.invoke(app, ["evaluate", str(imdb_like), "-m", str(tiny_model)])
    assert table.exit_code == 0, table.stderr
    assert "accuracy" in table.stdout and f"{imdb_like}, test split" in table.stdout
    result = runner.invoke(app, ["evaluate", str(imdb_like), "-m", str(tiny_model), "--format", "json"])
    data = json.loads(result.stdout)
    assert {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "confusion_matrix", "n"} <= set(data)
    assert data["n"] == 100 and data["split"] == "test" and data["reviews_per_second"] > 0
    (tn, fp), (fn, tp) = data["confusion_matrix"]
    assert tn + fp + fn + tp == 100 and data["accuracy"] == (tn + tp) / 100
    card = json.loads((tiny_model / "card.json").read_text())
    assert data["accuracy"] == card["metrics"]["test"]["accuracy"]  # the runtime agrees with training's scoring
    train = json.loads(
        runner.invoke(app, ["evaluate", str(imdb_like), "-m", str(tiny_model), "-f", "json", "--split", "train"]).stdout
    )
    assert train["n"] == 400


def test_evaluate_reports_unreadable_reviews_and_goes_on(tiny_model, imdb_like, tmp_path, monkeypatch):
    data = shutil.copytree(imdb_like, tmp_path / "copy")
    broken = sorted((data / "test" / "pos").iterdir())[0]

    def denied(file, *args, **kwargs):  # root reads any file: the refusal is simulated
        if Path(file) == broken:
            raise PermissionError(13, "Permission denied")
        return open(file, *args, **kwargs)

    monkeypatch.setattr("sentiment_cli.data.open", denied, raising=False)
    result = runner.invoke(app, ["evaluate", str(data), "-m", str(tiny_model), "-f", "json"])
    assert result.exit_code == 1
    assert f"warning: skipped {broken}: Permission denied" in result.stderr
    assert json.loads(result.stdout)["n"] == 99


def test_inspect_shows_the_training_history(tiny_model):
    result = runner.invoke(app, ["inspect", str(tiny_model)])
    assert "Training history: the BiLSTM" in result.stdout and "Training history: the n-gram bag" in result.stdout
    card = json.loads((tiny_model / "card.json").read_text())
    epochs = len(card["history"]["the BiLSTM"]["loss"])
    chart = result.stdout.split("Training history: the BiLSTM")[1]
    assert [line.split()[0] for line in chart.splitlines() if line.strip()[:1].isdigit()] == [
        str(e) for e in range(1, epochs + 1)
    ]
    assert chart.count("← kept") == 1


def test_inspect_expand_and_input_length(tiny_seed_model):
    result = runner.invoke(app, ["inspect", str(tiny_seed_model), "--expand"])
    assert result.exit_code == 0, result.stderr
    assert "· recurrent_kernel" in result.stdout and "backward_lstm" in result.stdout
    assert "mult-adds: per review of 24 tokens" in result.stdout  # the card's training length
    data = json.loads(
        runner.invoke(app, ["inspect", str(tiny_seed_model), "-f", "json", "--input-length", "10"]).stdout
    )
    assert data["sequence_length"] == 10
    assert data["layers"][1]["macs"] == 2 * 10 * 4 * 4 * (8 + 4)


def test_the_spark_submit_program_is_the_score_command(tmp_path):
    import subprocess
    import sys

    from sentiment_cli.cli import spark_submit

    program = [sys.executable, spark_submit.__file__]
    shown = subprocess.run([*program, "--help"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "Score a file or folder of reviews on Apache Spark" in shown.stdout and "--id-column" in shown.stdout
    wrong = subprocess.run([*program, "only-one-argument"], capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "Missing argument 'OUTPUT'" in wrong.stderr
    bad = subprocess.run([*program, "in", str(tmp_path / "out"), "--threshold", "2"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--threshold" in bad.stderr


def test_a_table_piped_to_a_pager_is_80_columns_or_COLUMNS(tiny_model, tmp_path):
    """Issue 22 (13): `predict -f table | less` was 159 columns wide; a pipe follows COLUMNS, else 80."""
    review = tmp_path / "long.txt"
    review.write_text(" ".join(REVIEWS) * 3)
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    for columns, width in ((None, 80), ("120", 120)):
        run_env = env if columns is None else {**env, "COLUMNS": columns}
        result = subprocess.run(
            [*console_script().split(), "predict", "-m", str(tiny_model), "-f", "table", str(review)],
            capture_output=True, text=True, env=run_env, check=True,
        )  # fmt: skip
        lines = result.stdout.splitlines()
        assert "long.txt" in result.stdout and width - 2 <= max(map(len, lines)) <= width, (columns, lines)
