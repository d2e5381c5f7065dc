"""Reports: the numbers behind each chart, the files evaluate/train/inspect write, and every report opened in a
real headless Chromium (screenshot not blank, every chart drawn with its series and cells, no console error,
no network request).

The browser is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON messages
ending in NUL on file descriptors 3 and 4), so the test needs Debian's ``chromium`` and nothing else.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from reportpage import EVALUATION_CHARTS, parse

from sentiment_cli import curves, reports
from sentiment_cli.bundle import REPORT_FILE, Card, read_bundle
from sentiment_cli.errors import OutputError
from sentiment_cli.evaluation import Evaluation, Run
from sentiment_cli.metrics import classification_metrics
from sentiment_cli.reports import charts

pytest.importorskip("matplotlib", reason="reports need matplotlib (pip install 'sentiment-cli[report]')")
sklearn_metrics = pytest.importorskip("sklearn.metrics")



# -- helpers -------------------------------------------------------------------------------------------






def made_up(k: int, n: int = 400, seed: int = 0) -> Evaluation:
    """An evaluation of ``k`` classes on ``n`` made-up reviews, its metrics from metrics.py."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.2
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    classes = ("negative", "positive") if k == 2 else ("negative", "neutral", "positive")
    metrics = classification_metrics(y, p[:, 1] if k == 2 else p, classes, threshold=0.5)
    texts = [f"review {i}" for i in range(n)]
    return Evaluation(
        metrics, classes, [f"made-up.csv:{i + 2}" for i in range(n)], texts, y, p, 0.5 if k == 2 else None,
        run=Run(source="made-up.csv", split="test", reviews_per_second=1000.0),
    )


# -- the numbers behind the pictures -------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 3])
def test_confusion_cells_are_the_metrics_confusion_matrix(k: int) -> None:
    evaluation = made_up(k)
    report = reports.evaluation_report(evaluation)
    chart = next(c for c in report.charts if c.name == "confusion")
    assert chart.data["matrix"] == evaluation.metrics["confusion_matrix"]
    assert chart.cells == k * k
    predicted = evaluation.predicted
    for i in range(k):
        for j in range(k):
            assert chart.data["matrix"][i][j] == int(np.sum((evaluation.labels == i) & (predicted == j)))
    page = parse(report.html())
    assert page.charts["confusion"]["data-cells"] == str(k * k)
    assert len([x for x in page.ids if x.startswith("confusion-cell-")]) == k * k


def test_binary_auc_shown_is_metrics_and_scikit_learn() -> None:
    evaluation = made_up(2)
    page = parse(reports.evaluation_report(evaluation).html())
    y, p = evaluation.labels, evaluation.probabilities
    assert page.facts["auc:positive"] == pytest.approx(evaluation.metrics["roc_auc"], abs=1e-12)
    assert page.facts["auc:positive"] == pytest.approx(sklearn_metrics.roc_auc_score(y, p[:, 1]), abs=1e-12)
    assert page.facts["ap:positive"] == pytest.approx(sklearn_metrics.average_precision_score(y, p[:, 1]))
    assert page.facts["ece"] == pytest.approx(evaluation.metrics["ece"], abs=1e-12)
    metrics_table = dict(page.tables["metrics-table"][1:])
    assert metrics_table["ROC-AUC"] == f"{evaluation.metrics['roc_auc']:.4f}"
    assert metrics_table["accuracy"] == f"{evaluation.metrics['accuracy']:.4f}"
    assert page.charts["roc"]["data-series"] == "1"
    assert page.charts["histogram"]["data-series"] == "2"


def test_multiclass_auc_per_class_and_macro() -> None:
    evaluation = made_up(3)
    page = parse(reports.evaluation_report(evaluation).html())
    y, p = evaluation.labels, evaluation.probabilities
    per_class = []
    for c, name in enumerate(evaluation.classes):
        expected = sklearn_metrics.roc_auc_score(y == c, p[:, c])
        assert page.facts[f"auc:{name}"] == pytest.approx(expected, abs=1e-12)
        per_class.append(expected)
    assert page.facts["auc:macro"] == pytest.approx(evaluation.metrics["roc_auc"], abs=1e-12)
    assert evaluation.metrics["roc_auc"] == pytest.approx(np.mean(per_class), abs=1e-12)
    assert sklearn_metrics.roc_auc_score(y, p, multi_class="ovr", average="macro") == pytest.approx(
        evaluation.metrics["roc_auc"]
    )
    for chart in ("roc", "pr", "histogram"):
        assert page.charts[chart]["data-series"] == "3"
    per_class_table = {row[0]: row for row in page.tables["per-class-table"][1:]}
    assert per_class_table["neutral"][5] == f"{page.facts['auc:neutral']:.4f}"


def test_reliability_bins_and_ece_by_hand() -> None:
    """Four reviews: confidences 0.95 (right), 0.95 (wrong), 0.65 (right), 0.55 (right)."""
    labels = np.array([1, 0, 1, 0])
    p1 = np.array([0.95, 0.95, 0.65, 0.45])
    probabilities = np.column_stack([1 - p1, p1])
    predicted = (p1 >= 0.5).astype(int)
    calibration = curves.reliability(probabilities, labels, predicted)
    bins = {round(b["low"], 1): b for b in calibration["bins"]}
    assert set(bins) == {0.5, 0.6, 0.9}
    assert bins[0.9]["count"] == 2 and bins[0.9]["accuracy"] == 0.5
    # |0.95 - 0.5| * 2/4 + |0.65 - 1| * 1/4 + |0.55 - 1| * 1/4
    assert calibration["ece"] == pytest.approx(0.45 * 0.5 + 0.35 * 0.25 + 0.45 * 0.25)


def test_histogram_shares_add_up_per_true_class() -> None:
    evaluation = made_up(3)
    histograms = curves.probability_histograms(evaluation.labels, evaluation.probabilities, evaluation.classes)
    for shares in histograms["shares"].values():
        assert shares.sum() == pytest.approx(1.0)


def test_confident_errors_are_escaped_and_surest_first() -> None:
    evaluation = made_up(2, n=50)
    i = int(np.flatnonzero(evaluation.predicted != evaluation.labels)[0])
    evaluation.texts[i] = '<script>alert("x")</script> <img src="https://example.com/x.png"> & more'
    evaluation.sources[i] = "<b>bold</b>.csv:1"
    html = reports.evaluation_report(evaluation).html()
    page = parse(html)
    assert page.scripts == 0 and page.external == []
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;.csv:1" in html
    rows = page.tables["errors-table"][1:]
    sure = [float(row[4]) for row in rows]
    assert sure == sorted(sure, reverse=True)
    wrong = int(np.sum(evaluation.predicted != evaluation.labels))
    assert len(rows) == min(wrong, curves.CONFIDENT_ERRORS)


def test_class_names_with_markup_and_dollars_are_drawn_safely() -> None:
    evaluation = made_up(3)
    evaluation.classes = ("$bad$", "<i>meh</i>", "good & great")
    evaluation.metrics = dataclasses.replace(
        evaluation.metrics,
        classes=evaluation.classes,
        per_class=dict(zip(evaluation.classes, evaluation.metrics.per_class.values(), strict=True)),
    )
    html = reports.evaluation_report(evaluation).html()
    assert "<i>meh" not in html and "&lt;i&gt;meh&lt;/i&gt;" in html


def test_ids_are_unique_across_charts() -> None:
    page = parse(reports.evaluation_report(made_up(3)).html())
    assert len(page.ids) == len(set(page.ids))


def test_report_targets(tmp_path: Path) -> None:
    report = reports.evaluation_report(made_up(2, n=60))
    (png,) = report.write(tmp_path / "r.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    written = report.write(tmp_path / "charts")
    assert sorted(p.name for p in written) == sorted(f"{name}.png" for name in EVALUATION_CHARTS)
    with pytest.raises(ValueError, match=r"\.html file, a \.png file or a folder"):  # a wrong argument
        report.write(tmp_path / "r.pdf")
    with pytest.raises(OutputError, match="no such directory"):
        report.write(tmp_path / "missing" / "r.html")
    assert not list(tmp_path.glob(".*tmp*"))


# -- the commands --------------------------------------------------------------------------------------


def test_train_writes_a_hashed_report(tiny_model: Path) -> None:
    bundle = read_bundle(tiny_model, purpose="evaluate")
    assert REPORT_FILE in bundle.card.files
    assert (tiny_model / REPORT_FILE).stat().st_size == bundle.card.files[REPORT_FILE].bytes
    summary = bundle.card.data["summary"]
    assert set(summary["length_counts"]) == {"train", "validation", "test"}
    assert sum(summary["length_counts"]["test"]) + summary["length_longer"]["test"] == 100
    assert 0 < summary["vocabulary_coverage"]["train"] <= 1
    page = parse((tiny_model / REPORT_FILE).read_text(encoding="utf-8"))
    history = bundle.card.history
    assert set(page.charts) == {"history-0", "history-1", "balance", "lengths"}
    for i in range(len(history)):
        assert page.charts[f"history-{i}"]["data-series"] == "4"
    kept = [v for k, v in page.facts.items() if k == "kept"]
    assert kept  # the last history chart's kept epoch
    assert kept[-1] == bundle.card.training["best_epoch"][list(history)[-1]]
    assert page.charts["balance"]["data-series"] == "3"


def test_inspect_report_of_the_shipped_model(tmp_path: Path) -> None:
    card = read_bundle(None, purpose="evaluate").card
    (path,) = reports.training_report(card).write(tmp_path / "default.html")
    page = parse(path.read_text(encoding="utf-8"))
    assert set(page.charts) == {"history-0", "history-1", "balance", "lengths"}
    epochs = [len(history["val_loss"]) for history in card.history.values()]
    assert [c["data-series"] for c in page.charts.values()][:2] == ["4", "4"] and min(epochs) >= 2
    table = {row[0]: row for row in page.tables["metrics-table"][1:]}
    assert table["test"][2] == f"{card.metrics['test'].accuracy:.4f}"
    # the columns are the metrics' one headline list, as the terminal's tables walk it
    headers = page.tables["metrics-table"][0][2:]
    assert headers == [f"{r.label} ({r.of})" if r.of else r.label for r in card.metrics["test"].headline()]
    assert headers[:4] == ["accuracy", "precision (positive)", "recall (positive)", "F1 (positive)"]
    assert "were not recorded in this model" not in path.read_text(encoding="utf-8")
    # a card from before reports (no data summary): no length chart, and the page says why
    card = dataclasses.replace(card, data=dataclasses.replace(card.data, summary=None))
    (older,) = reports.training_report(card).write(tmp_path / "older.html")
    assert set(parse(older.read_text(encoding="utf-8")).charts) == {"history-0", "history-1", "balance"}
    assert "were not recorded in this model" in older.read_text(encoding="utf-8")


# -- in a real browser ---------------------------------------------------------------------------------


def test_the_balance_legend_covers_no_bar_and_the_training_png_has_no_empty_band():
    """Issue 22 (13): the class-balance legend sat on the bars; the summary took a chart's height (4.2 in)."""
    from matplotlib.figure import Figure

    from sentiment_cli.bundle import default_model_dir

    chart = charts.balance_chart({"train": [501, 499], "validation": [488, 512], "test": [500, 500]},
                                  ["negative", "positive"])  # fmt: skip
    figure = Figure(figsize=chart.size)
    chart.draw(figure)
    figure.canvas.draw()
    axes = figure.axes[0]
    legend = axes.get_legend().get_window_extent()
    bars = [patch.get_window_extent() for patch in axes.patches]
    assert len(bars) == 6 and not [bar for bar in bars if bar.overlaps(legend)]

    card = Card.from_dict(json.loads((default_model_dir() / "card.json").read_text()))
    png = reports.training_report(card).png()
    height = int.from_bytes(png[20:24], "big")  # the PNG header's IHDR height
    inches = sum(c.size[1] for c in reports.training_report(card).charts if c.wide) + 4.2  # + the last row's
    assert height <= (inches + 2.5) * 110  # at 110 dpi: the summary row is its 9 lines' height, not 4.2 in
    html = reports.training_report(card).html()  # the data's source by file name (the command keeps its paths)
    assert "<td>source</td><td>imdb.jsonl + semeval.jsonl + sst.jsonl + goemotions.jsonl + clothing.jsonl + " in html
