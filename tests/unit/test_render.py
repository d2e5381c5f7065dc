"""The renderers alone, on hand-built results: exact output, no model involved."""

import io
import json

from rich.console import Console

from sentiment_cli.cli import render
from sentiment_cli.cli.console import inert
from sentiment_cli.cli.writers import PredictFormat, PredictionWriter
from sentiment_cli.metrics import Metrics
from sentiment_cli.model_report import LayerInfo, ModelReport, WeightInfo
from sentiment_cli.reviews import Empty
from sentiment_cli.runtime import Prediction

THREE = ("negative", "neutral", "positive")


def rendered(renderable, width=80) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(renderable)
    return console.file.getvalue()


def write(fmt, classes, items, **options) -> str:
    stream = io.StringIO()
    PredictionWriter(fmt, classes, stream=stream, **options).write(items)
    return stream.getvalue()


def test_jsonl_and_csv_records_for_three_classes_with_id_and_kept_column():
    items = [
        Prediction("t.csv:2", "fine", 0.7, "neutral", (0.1, 0.7, 0.2), id="a1", extra={"stars": "3"}),
        Empty("t.csv:3", id="a2", extra={"stars": {"x": 1}}),
    ]
    lines = write(PredictFormat.jsonl, THREE, items, with_id=True, keep=("stars",)).splitlines()
    assert [json.loads(line) for line in lines] == [
        {"source": "t.csv:2", "id": "a1", "label": "neutral", "probability": 0.7,
         "probabilities": {"negative": 0.1, "neutral": 0.7, "positive": 0.2}, "stars": "3"},
        {"source": "t.csv:3", "id": "a2", "label": None, "probability": None,
         "probabilities": {"negative": None, "neutral": None, "positive": None}, "stars": '{"x": 1}'},
    ]  # fmt: skip
    assert write(PredictFormat.csv, THREE, items, with_id=True, keep=("stars",)) == (
        "source,id,label,probability,p_negative,p_neutral,p_positive,stars\n"
        "t.csv:2,a1,neutral,0.700000,0.100000,0.700000,0.200000,3\n"
        't.csv:3,a2,,,,,,"{""x"": 1}"\n'
    )


def test_binary_tsv_keeps_its_three_columns():
    items = [Prediction("<stdin>:1", "good", 0.25, "negative", (0.75, 0.25))]
    assert write(PredictFormat.tsv, ("negative", "positive"), items) == (
        "source\tlabel\tprobability\n<stdin>:1\tnegative\t0.250000\n"
    )


def test_confusion_and_per_class_tables():
    result = Metrics.from_dict({
        "accuracy": 0.75, "roc_auc": None,
        "classes": list(THREE),
        "confusion_matrix": [[5, 1, 0], [2, 3, 1], [0, 0, 4]],
        "per_class": {
            "negative": {"precision": 5 / 7, "recall": 5 / 6, "f1": 0.7692307692, "support": 6},
            "neutral": {"precision": 0.75, "recall": 0.5, "f1": 0.6, "support": 6},
            "positive": {"precision": 0.8, "recall": 1.0, "f1": 0.8888888889, "support": 4},
        },
        "macro_precision": 0.7547619048, "macro_recall": 0.7777777778, "macro_f1": 0.7527065527,
        "weighted_precision": 0.7455357143, "weighted_recall": 0.75, "weighted_f1": 0.7356837607, "n": 16,
    })  # fmt: skip
    assert rendered(render.confusion_table(result), width=60) == (
        "  Confusion matrix (rows true, columns predicted)   \n"
        "┏━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━┓\n"
        "┃ true \\ predicted ┃ negative ┃ neutral ┃ positive ┃\n"
        "┡━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━┩\n"
        "│ negative         │        5 │       1 │        0 │\n"
        "│ neutral          │        2 │       3 │        1 │\n"
        "│ positive         │        0 │       0 │        4 │\n"
        "└──────────────────┴──────────┴─────────┴──────────┘\n"
    )
    per_class = rendered(render.per_class_table(result), width=70).splitlines()
    assert per_class[4] == "│ negative         │    0.7143 │ 0.8333 │ 0.7692 │       6 │"
    assert per_class[8] == "│ macro average    │    0.7548 │ 0.7778 │ 0.7527 │      16 │"


def test_inert_text_shows_control_characters_and_keeps_markup_literal():
    assert inert("a\x1b[31mred\x07 [bold]x[/bold]\tok\r\n") == "a\\x1b[31mred\\x07 [bold]x[/bold]\tok\\x0d\n"


def test_a_prediction_table_written_in_chunks_has_one_header(monkeypatch):
    import sentiment_cli.cli.console as output

    console = Console(file=io.StringIO(), width=80, color_system=None)
    monkeypatch.setattr(output, "_out", lambda: console)
    writer = PredictionWriter(PredictFormat.table, ("negative", "positive"))
    writer.write([Prediction("<stdin>:1", "great film", 0.9, "positive", (0.1, 0.9))])
    writer.write([Prediction("<stdin>:2", "awful film", 0.2, "negative", (0.8, 0.2))])
    lines = console.file.getvalue().splitlines()
    assert sum("P(positive)" in line for line in lines) == 1  # the header, once
    assert [line.split()[0] for line in lines if line.startswith(" <stdin>")] == ["<stdin>:1", "<stdin>:2"]


def test_the_layer_table_stacks_on_a_narrow_console_and_never_folds_a_number():
    def layer(name, kind, shape, params, formula, macs, children=(), weights=()):
        return LayerInfo(name=name, type=kind, output_shape=shape, params=params, formula=formula, macs=macs,
                         trainable=True, children=list(children), weights=list(weights), note="")  # fmt: skip

    kernel = WeightInfo(name="kernel", shape=[128, 64], params=8192, role="inputs → units")
    report = ModelReport(
        name="m", source="m.keras", sequence_length=200, total_params=66_048 + 8_256, trainable_params=74_304,
        non_trainable_params=0, weight_bytes=297_216, total_macs=16_785_408,
        layers=[
            layer("bidirectional_lstm", "Bidirectional", "(None, 128)", 66_048, "2 × 4 × ((64+64)×64 + 64) = 66,048",
                  16_777_216),
            layer("dense", "Dense", "(None, 64)", 8_256, "128×64 + 64 = 8,256", 8_192, weights=[kernel]),
        ],
    )  # fmt: skip
    wide = rendered(render.layers_table(report, width=160), width=160)
    assert "16,777,216" in wide and "output shape, params" not in wide  # the usual columns, not the stack
    assert "│ (None, 128)" in wide
    narrow = rendered(render.layers_table(report, expand=True, width=60), width=60)
    assert max(len(line) for line in narrow.splitlines()) <= 60
    lines = narrow.splitlines()
    for whole in ("params 66,048", "mult-adds 16,777,216", "128×64 + 64 = 8,256", "params 8,192", "shape 128×64"):
        assert any(whole in line for line in lines), whole  # each fact on one line, no number folded
    assert any("mult-adds 16,785,408" in line for line in lines)  # the total


def test_the_train_metrics_table_fits_80_columns_with_every_number_whole():
    """Issue 22 (1): a metric per column cut every number to '0.9…' at 80 columns; metrics are rows now."""
    metrics = {
        split: Metrics.from_dict({"n": n, "accuracy": 0.91234, "log_loss": 0.21391, "precision": 0.9198,
                                  "recall": 0.9106, "f1": 0.9151, "roc_auc": 0.97204, "ece": 0.0123,
                                  "classes": ["negative", "positive"]})
        for split, n in (("train", 36380), ("validation", 4042), ("test", 25000))
    }  # fmt: skip
    branches = {"bilstm": {"train": 0.9131, "validation": 0.8315, "test": 0.86128},
                "ngram": {"train": 0.991, "validation": 0.8741, "test": 0.91276}}  # fmt: skip
    for width in (80, 60):
        text = rendered(render.metrics_table(metrics, branches), width)
        assert "…" not in text and max(map(len, text.splitlines())) <= width
        rows = {line.split("│")[1].strip(): line.split("│")[2:-1] for line in text.splitlines() if "│" in line}
        assert [cell.strip() for cell in rows["accuracy"]] == ["0.9123"] * 3
        assert [cell.strip() for cell in rows["reviews"]] == ["36,380", "4,042", "25,000"]
        assert [cell.strip() for cell in rows["ngram alone, accuracy"]] == ["0.9910", "0.8741", "0.9128"]
        assert [cell.strip() for cell in rows["ROC-AUC"]] == ["0.9720"] * 3


def test_evaluate_table_html_report_and_train_table_walk_one_headline_list():
    """Issue 23: the metric rows were written in five places, and two orders of the macro rows disagreed
    (the terminal said recall first, the report precision). Every presenter now walks Metrics.headline()."""
    import numpy as np

    from sentiment_cli.evaluation import EvaluationResult, Run
    from sentiment_cli.metrics import classification_metrics

    y = np.array([0, 1, 2, 2, 1, 0, 2, 1])
    p = np.eye(3)[[0, 1, 2, 1, 1, 0, 2, 0]] * 0.7 + 0.1
    metrics = classification_metrics(y, p, THREE)
    labels = [row.label for row in metrics.headline()]
    assert labels == ["accuracy", "macro precision", "macro recall", "macro F1", "weighted F1",
                      "ROC-AUC (one vs rest, macro)", "log loss", "calibration error (ECE, 10 bins)"]  # fmt: skip
    result = EvaluationResult(metrics, None, Run(source="t.csv", split="test", reviews_per_second=10.0))
    lines = rendered(render.evaluation_table(result), width=100).splitlines()
    shown = [line.split("│")[1].strip() for line in lines if "│" in line]
    assert shown[1 : 1 + len(labels)] == labels
    train = rendered(render.metrics_table({"train": metrics, "test": metrics}), width=100).splitlines()
    assert [line.split("│")[1].strip() for line in train if "│" in line] == ["reviews", *labels]
    document = result.to_dict()  # evaluate --format json: the keys, in the order they always had
    assert list(document) == [
        "accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "ece", "macro_precision", "macro_recall",
        "macro_f1", "weighted_precision", "weighted_recall", "weighted_f1", "per_class", "classes",
        "confusion_matrix", "n", "reviews_per_second", "threshold", "split", "evaluated", "source", "skipped",
        "rows_skipped", "unreadable", "undefined",
    ]  # fmt: skip
    assert document["precision"] is None and document["macro_f1"] == metrics["macro_f1"] == metrics.macro.f1
    assert result["accuracy"] == document["accuracy"] and dict(result) == document  # still reads as the dict
