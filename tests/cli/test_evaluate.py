"""``sentiment evaluate`` through Typer's CliRunner, and the API's evaluate against what it prints."""

import json
import shutil
from pathlib import Path

import pytest

import sentiment_cli
from conftest import make_reviews, runner, write_csv
from sentiment_cli.cli import app


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


def test_evaluate_returns_what_the_cli_prints(tmp_path):
    from sentiment_cli.cli import app

    data = write_csv(tmp_path / "labelled.csv", make_reviews(120, seed=4))
    result = sentiment_cli.evaluate(data)
    printed = runner.invoke(app, ["evaluate", str(data), "--format", "json"])
    assert printed.exit_code == 0, printed.output
    shown = json.loads(printed.stdout)
    assert result["n"] == shown["n"] == 120
    assert result["accuracy"] == pytest.approx(shown["accuracy"])
    assert result["confusion_matrix"] == shown["confusion_matrix"]
    again = sentiment_cli.evaluate(data, model=sentiment_cli.load(), text_column="text", label_column="label")
    assert again["accuracy"] == result["accuracy"]
    with pytest.raises(TypeError, match="unknown option epochs"):
        sentiment_cli.evaluate(data, epochs=3)
