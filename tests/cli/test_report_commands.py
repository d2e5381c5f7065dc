"""The reports the commands write: evaluate --report and --predictions, inspect --report, train without
matplotlib; the numbers of each chart against the command's JSON."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from reportpage import EVALUATION_CHARTS, parse

from conftest import runner
from sentiment_cli.bundle import REPORT_FILE, read_bundle
from sentiment_cli.cli import app
from sentiment_cli.data import TableOptions, load_dataset


def test_evaluate_report_numbers_match_its_json(evaluated: dict[str, Any]) -> None:
    page = parse((evaluated["dir"] / "report.html").read_text(encoding="utf-8"))
    metrics = evaluated["json"]
    assert page.facts["auc:positive"] == pytest.approx(metrics["roc_auc"], abs=1e-12)
    assert set(page.charts) == EVALUATION_CHARTS
    table = dict(page.tables["metrics-table"][1:])
    assert table["accuracy"] == f"{metrics['accuracy']:.4f}"
    assert table["reviews scored"] == f"{metrics['n']:,}"
    assert "Classifying" not in evaluated["stderr"] and "reviews/s" not in evaluated["stderr"]  # not a terminal


def test_evaluate_predictions_csv(evaluated: dict[str, Any], imdb_like: Path) -> None:
    with open(evaluated["dir"] / "predictions.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    metrics = evaluated["json"]
    assert list(rows[0]) == ["source", "label", "probability", "true_label", "text"]
    assert len(rows) == metrics["n"] == 100
    classes = metrics["classes"]
    confusion = np.zeros((2, 2), dtype=int)
    for row in rows:
        confusion[classes.index(row["true_label"]), classes.index(row["label"])] += 1
        assert (float(row["probability"]) >= 0.5) == (row["label"] == "positive")
    assert confusion.tolist() == metrics["confusion_matrix"]
    truth = load_dataset(imdb_like, TableOptions(), classes=tuple(classes)).split("test")
    assert [r["text"] for r in rows] == truth.texts
    assert rows[0]["source"] == truth.sources[0]


def test_evaluate_three_classes_predictions_and_report(
    three_class_model: Path, three_class_data: Path, tmp_path: Path
) -> None:
    for name in ("p.jsonl", "p.csv", "p.parquet"):
        result = runner.invoke(
            app, ["evaluate", str(three_class_data), "--model", str(three_class_model), "--predictions",
                  str(tmp_path / name), "--report", str(tmp_path / "r.html"), "-f", "json"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    records = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == metrics["n"] == 150
    assert set(records[0]) == {"source", "label", "probability", "probabilities", "true_label", "text"}
    assert records[0]["probability"] == records[0]["probabilities"][records[0]["label"]]
    with open(tmp_path / "p.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["source", "label", "probability", "p_negative", "p_neutral", "p_positive", "true_label", "text"]
    assert rows[1][-1] == '\'=HYPERLINK("http://x") okay <script>x</script>'  # a spreadsheet shows, never runs it
    assert records[0]["text"].startswith("=HYPERLINK")  # JSON lines keep the text as it is
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "p.parquet")
    assert table.num_rows == 150
    assert table.column("true_label").to_pylist() == [r["true_label"] for r in records]
    page = parse((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert page.charts["confusion"]["data-cells"] == "9"
    assert page.facts["auc:macro"] == pytest.approx(metrics["roc_auc"], abs=1e-12)


def test_evaluate_report_refuses_before_scoring(tiny_model: Path, imdb_like: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(imdb_like), "--model", str(tiny_model), "--report",
                                 str(tmp_path / "r.pdf")])  # fmt: skip
    assert result.exit_code == 2  # a wrong value, as --predictions x.xlsx below
    assert "a report is an .html file, a .png file or a folder" in result.stderr
    result = runner.invoke(app, ["evaluate", str(imdb_like), "--model", str(tiny_model), "--predictions",
                                 str(tmp_path / "p.xlsx")])  # fmt: skip
    assert result.exit_code == 2 and "--predictions" in result.stderr


def test_without_matplotlib_one_clear_line(
    tiny_model: Path, imdb_like: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    result = runner.invoke(app, ["evaluate", str(imdb_like), "--model", str(tiny_model), "--report",
                                 str(tmp_path / "r.html")])  # fmt: skip
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "error: reports need matplotlib, which is not installed "
        "(pip install 'sentiment-cli[report]', or from a clone: pip install '.[report]')"
    ]
    assert not (tmp_path / "r.html").exists()


def test_inspect_report_command(tiny_model: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["inspect", str(tiny_model), "--report", str(tmp_path / "t.png"), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads(result.stdout)["card"]["name"] == "tiny"
    result = runner.invoke(app, ["inspect", str(tiny_model / "model.keras"), "--report", str(tmp_path / "k.html")])
    assert result.exit_code == 2 and "card" in result.stderr


@pytest.mark.slow
def test_train_without_matplotlib_still_writes_the_model(
    tmp_path: Path, imdb_like: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import TINY_TRAIN_ARGS

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = tmp_path / "no-mpl"
    result = runner.invoke(app, ["train", str(imdb_like), "--out", str(out), *TINY_TRAIN_ARGS, "--epochs", "1",
                                 "--ngram-epochs", "1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "warning: report.html not written: reports need matplotlib" in result.stderr
    assert not (out / REPORT_FILE).exists()
    card = read_bundle(out).card
    assert REPORT_FILE not in card.files and "summary" in card.data
