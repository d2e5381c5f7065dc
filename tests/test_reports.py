"""Reports: the numbers behind each chart, the files evaluate/train/inspect write, and every report opened in a
real headless Chromium (screenshot not blank, every chart drawn with its series and cells, no console error,
no network request).

The browser is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON messages
ending in NUL on file descriptors 3 and 4), so the test needs Debian's ``chromium`` and nothing else.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import make_three_class, write_jsonl
from sentiment_cli import reports
from sentiment_cli.bundle import read_bundle
from sentiment_cli.cli import app
from sentiment_cli.data import TableOptions, load_dataset
from sentiment_cli.evaluation import Evaluation
from sentiment_cli.metrics import classification_metrics

pytest.importorskip("matplotlib", reason="reports need matplotlib (pip install 'sentiment-cli[report]')")
sklearn_metrics = pytest.importorskip("sklearn.metrics")

runner = CliRunner()
EVALUATION_CHARTS = {"confusion", "roc", "pr", "reliability", "histogram"}


# -- helpers -------------------------------------------------------------------------------------------


class _Page(HTMLParser):
    """The report's charts (data-* attributes), facts beside them, tables and any script or external reference."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, dict[str, str]] = {}
        self.facts: dict[str, float | None] = {}
        self.ids: list[str] = []
        self.scripts = 0
        self.external: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            if key in a and not a[key].startswith(("#", "data:")):
                self.external.append(a[key])
        if tag == "figure" and "data-chart" in a:
            self.charts[a["data-chart"]] = a
        if tag == "li" and "data-key" in a:
            self.facts[a["data-key"]] = float(a["data-value"]) if a["data-value"] else None
        if tag == "table":
            self._table = a.get("id", "")
            self.tables[self._table] = []
        if tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        if tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def made_up(k: int, n: int = 400, seed: int = 0) -> Evaluation:
    """An evaluation of ``k`` classes on ``n`` made-up reviews, its metrics from metrics.py."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.2
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    classes = ("negative", "positive") if k == 2 else ("negative", "neutral", "positive")
    metrics = classification_metrics(y, p[:, 1] if k == 2 else p, classes, threshold=0.5)
    metrics |= {"source": "made-up.csv", "split": "test", "reviews_per_second": 1000.0, "threshold": 0.5 if k == 2
                else None, "rows_skipped": {}, "skipped": [], "unreadable": 0}  # fmt: skip
    texts = [f"review {i}" for i in range(n)]
    return Evaluation(
        metrics, classes, [f"made-up.csv:{i + 2}" for i in range(n)], texts, y, p, 0.5 if k == 2 else None
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
    calibration = reports.reliability(probabilities, labels, predicted)
    bins = {round(b["low"], 1): b for b in calibration["bins"]}
    assert set(bins) == {0.5, 0.6, 0.9}
    assert bins[0.9]["count"] == 2 and bins[0.9]["accuracy"] == 0.5
    # |0.95 - 0.5| * 2/4 + |0.65 - 1| * 1/4 + |0.55 - 1| * 1/4
    assert calibration["ece"] == pytest.approx(0.45 * 0.5 + 0.35 * 0.25 + 0.45 * 0.25)


def test_histogram_shares_add_up_per_true_class() -> None:
    evaluation = made_up(3)
    histograms = reports.probability_histograms(evaluation.labels, evaluation.probabilities, evaluation.classes)
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
    assert len(rows) == min(wrong, reports.CONFIDENT_ERRORS)


def test_class_names_with_markup_and_dollars_are_drawn_safely() -> None:
    evaluation = made_up(3)
    evaluation.classes = ("$bad$", "<i>meh</i>", "good & great")
    evaluation.metrics["classes"] = list(evaluation.classes)
    evaluation.metrics["per_class"] = dict(
        zip(evaluation.classes, evaluation.metrics["per_class"].values(), strict=True)
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
    with pytest.raises(reports.OutputError, match="no such directory"):
        report.write(tmp_path / "missing" / "r.html")
    assert not list(tmp_path.glob(".*tmp*"))


# -- the commands --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three_class_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("three-eval")
    rows = [{"tweet": t, "sentiment": y} for t, y in make_three_class(150, seed=11)]
    rows[0]["tweet"] = '=HYPERLINK("http://x") okay <script>x</script>'
    return write_jsonl(folder / "test.jsonl", rows)


@pytest.fixture(scope="module")
def evaluated(tiny_model: Path, imdb_like: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``sentiment evaluate --report --predictions`` on the tiny binary model's test split."""
    out = tmp_path_factory.mktemp("evaluated")
    result = runner.invoke(
        app, ["evaluate", str(imdb_like), "--model", str(tiny_model), "--format", "json",
              "--report", str(out / "report.html"), "--predictions", str(out / "predictions.csv")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return {"json": json.loads(result.stdout), "dir": out, "stderr": result.stderr}


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


@pytest.mark.slow  # trains the three-class model (15 s)
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


def test_train_writes_a_hashed_report(tiny_model: Path) -> None:
    bundle = read_bundle(tiny_model, purpose="evaluate")
    assert reports.REPORT_FILE in bundle.card.files
    assert (tiny_model / reports.REPORT_FILE).stat().st_size == bundle.card.files[reports.REPORT_FILE].bytes
    summary = bundle.card.data["summary"]
    assert set(summary["length_counts"]) == {"train", "validation", "test"}
    assert sum(summary["length_counts"]["test"]) + summary["length_longer"]["test"] == 100
    assert 0 < summary["vocabulary_coverage"]["train"] <= 1
    page = parse((tiny_model / reports.REPORT_FILE).read_text(encoding="utf-8"))
    history = bundle.card.history
    assert set(page.charts) == {"history-0", "history-1", "balance", "lengths"}
    for i in range(len(history)):
        assert page.charts[f"history-{i}"]["data-series"] == "4"
    kept = [v for k, v in page.facts.items() if k == "kept"]
    assert kept  # the last history chart's kept epoch
    assert kept[-1] == bundle.card.training["best_epoch"][list(history)[-1]]
    assert page.charts["balance"]["data-series"] == "3"


def test_inspect_report_of_the_shipped_model(tmp_path: Path) -> None:
    card = read_bundle(None, purpose="evaluate").card.to_dict()
    (path,) = reports.training_report(card).write(tmp_path / "default.html")
    page = parse(path.read_text(encoding="utf-8"))
    assert set(page.charts) == {"history-0", "history-1", "balance", "lengths"}
    epochs = [len(history["val_loss"]) for history in card["history"].values()]
    assert [c["data-series"] for c in page.charts.values()][:2] == ["4", "4"] and min(epochs) >= 2
    table = {row[0]: row for row in page.tables["metrics-table"][1:]}
    assert table["test"][2] == f"{card['metrics']['test']['accuracy']:.4f}"
    assert "were not recorded in this model" not in path.read_text(encoding="utf-8")
    # a card from before reports (no data summary): no length chart, and the page says why
    card["data"].pop("summary")
    (older,) = reports.training_report(card).write(tmp_path / "older.html")
    assert set(parse(older.read_text(encoding="utf-8")).charts) == {"history-0", "history-1", "balance"}
    assert "were not recorded in this model" in older.read_text(encoding="utf-8")


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
    assert not (out / reports.REPORT_FILE).exists()
    card = read_bundle(out).card
    assert reports.REPORT_FILE not in card.files and "summary" in card.data


@pytest.mark.slow
def test_progress_bar_on_a_terminal(tiny_model: Path, imdb_like: Path) -> None:
    """stderr a terminal: the bar with the count and rate; the results on stdout untouched."""
    import pty

    leader, follower = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "sentiment_cli", "evaluate", str(imdb_like), "--model", str(tiny_model), "-f", "json"],
        stdout=subprocess.PIPE, stderr=follower, env={**os.environ, "COLUMNS": "150"}, timeout=120, check=False,
    )  # fmt: skip
    os.close(follower)
    shown = b""
    while select.select([leader], [], [], 0.2)[0]:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert done.returncode == 0
    text = shown.decode("utf-8", "replace")
    assert "Classifying" in text and "100 reviews" in text and "reviews/s" in text
    assert json.loads(done.stdout)["n"] == 100


# -- in a real browser ---------------------------------------------------------------------------------


def _chromium() -> str | None:
    return next((path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None)


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe (fd 3: commands in, fd 4: replies out)."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_browser, self._in = os.pipe()
        self._out, from_browser = os.pipe()
        args = [
            binary, "--headless", "--remote-debugging-pipe", f"--user-data-dir={profile}", "--disable-gpu",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
            "--disable-background-networking", "--disable-component-update", "--hide-scrollbars", "--mute-audio",
            *(["--no-sandbox"] if os.geteuid() == 0 else []), "about:blank",
        ]  # fmt: skip
        devnull = os.open(os.devnull, os.O_RDWR)
        self.pid = os.posix_spawn(
            binary, args, os.environ,
            file_actions=[(os.POSIX_SPAWN_DUP2, to_browser, 3), (os.POSIX_SPAWN_DUP2, from_browser, 4),
                          (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)],
        )  # fmt: skip
        for fd in (to_browser, from_browser, devnull):
            os.close(fd)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=1280, height=900, deviceScaleFactor=1,
                  mobile=False)  # fmt: skip

    def _read(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._out], [], [], left)[0]:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self._out, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: bool = False, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._in, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read(timeout)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self._read(deadline - time.monotonic())
            self.events.append(event)
            if event.get("method") == method:
                return event
        raise TimeoutError(method)

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        return result["result"].get("value")

    def screenshot(self) -> bytes:
        import base64

        data = self.call("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True)["data"]
        return base64.b64decode(data)

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (TimeoutError, RuntimeError, OSError):
            os.kill(self.pid, signal.SIGKILL)
        finally:
            os.waitpid(self.pid, 0)
            os.close(self._in)
            os.close(self._out)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    binary = _chromium()
    if binary is None:
        pytest.skip("no chromium binary (apt-get install chromium)")
    opened = Browser(binary, tmp_path_factory.mktemp("chromium-profile"))
    yield opened
    opened.close()


DRAWN = """JSON.stringify([...document.querySelectorAll('figure[data-chart]')].map(f => {
  const ids = [...f.querySelectorAll('svg [id]')].map(e => e.id);
  const box = f.querySelector('svg').getBoundingClientRect();
  return {chart: f.dataset.chart, series: +f.dataset.series, cells: +f.dataset.cells,
          drawnSeries: new Set(ids.map(i => (i.match(/-series-(\\d+)/) || [])[1]).filter(Boolean)).size,
          drawnCells: ids.filter(i => /-cell-\\d+-\\d+$/.test(i)).length, width: box.width, height: box.height};
}))"""


def _look(browser: Browser, path: Path, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Open ``path``; check the page is not blank, nothing was fetched and nothing complained; return the charts."""
    url = path.resolve().as_uri()
    browser.open(url)
    charts = {c["chart"]: c for c in json.loads(browser.evaluate(DRAWN))}
    shot = browser.screenshot()
    (tmp_path / f"{path.stem}.png").write_bytes(shot)
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("L"), dtype=np.float64)
    assert pixels.shape[0] > 900 and pixels.std() > 20, "the screenshot is blank"
    assert np.mean(pixels < 200) > 0.02, "hardly anything drawn"
    requests = [e["params"]["request"]["url"] for e in browser.events if e.get("method") == "Network.requestWillBeSent"]
    # data: URLs (matplotlib's inline colour-bar image) are part of the file; anything else is a fetch
    assert [u for u in requests if u != url and not u.startswith("data:")] == [], "the report fetched something"
    complaints = [e for e in browser.events if e.get("method") == "Runtime.exceptionThrown"]
    complaints += [e for e in browser.events if e.get("method") == "Runtime.consoleAPICalled"
                   and e["params"]["type"] in ("error", "assert", "warning")]  # fmt: skip
    complaints += [e for e in browser.events if e.get("method") == "Log.entryAdded"
                   and e["params"]["entry"]["level"] in ("error", "warning")]  # fmt: skip
    assert complaints == []
    for chart in charts.values():
        assert chart["width"] > 300 and chart["height"] > 150, chart
        assert chart["drawnSeries"] == chart["series"], chart
        assert chart["drawnCells"] == chart["cells"], chart
    return charts


@pytest.mark.slow
def test_reports_in_a_browser(
    browser: Browser, evaluated: dict[str, Any], three_class_model: Path, three_class_data: Path,
    tiny_model: Path, tmp_path: Path,
) -> None:  # fmt: skip
    charts = _look(browser, evaluated["dir"] / "report.html", tmp_path)
    assert set(charts) == EVALUATION_CHARTS
    assert charts["confusion"]["cells"] == 4 and charts["roc"]["series"] == 1 and charts["histogram"]["series"] == 2

    three = tmp_path / "three.html"
    result = runner.invoke(app, ["evaluate", str(three_class_data), "--model", str(three_class_model), "--report",
                                 str(three)])  # fmt: skip
    assert result.exit_code == 0, result.output
    charts = _look(browser, three, tmp_path)
    assert charts["confusion"]["cells"] == 9
    assert charts["roc"]["series"] == charts["pr"]["series"] == charts["histogram"]["series"] == 3

    charts = _look(browser, tiny_model / reports.REPORT_FILE, tmp_path)
    assert set(charts) == {"history-0", "history-1", "balance", "lengths"}
    assert charts["history-0"]["series"] == 4 and charts["lengths"]["series"] == 3

    shipped = tmp_path / "shipped.html"
    result = runner.invoke(app, ["inspect", "--report", str(shipped)])
    assert result.exit_code == 0, result.output
    charts = _look(browser, shipped, tmp_path)
    assert set(charts) == {"history-0", "history-1", "balance", "lengths"}
    assert charts["balance"]["series"] == 3


@pytest.mark.slow
def test_browser_catches_what_it_should(browser: Browser, tmp_path: Path) -> None:
    """The checks fail on a page that fetches, throws or draws fewer series than it claims."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png"><script>throw new Error("x")'
                   "</script></body></html>", encoding="utf-8")  # fmt: skip
    with pytest.raises(AssertionError):
        _look(browser, bad, tmp_path)
    html = reports.evaluation_report(made_up(2, n=60)).html()
    wrong = tmp_path / "wrong.html"
    wrong.write_text(re.sub(r'data-series="2"', 'data-series="3"', html), encoding="utf-8")
    with pytest.raises(AssertionError, match="drawnSeries"):
        _look(browser, wrong, tmp_path)


def test_the_balance_legend_covers_no_bar_and_the_training_png_has_no_empty_band():
    """Issue 22 (13): the class-balance legend sat on the bars; the summary took a chart's height (4.2 in)."""
    from matplotlib.figure import Figure

    from sentiment_cli.bundle import default_model_dir

    chart = reports.balance_chart({"train": [501, 499], "validation": [488, 512], "test": [500, 500]},
                                  ["negative", "positive"])  # fmt: skip
    figure = Figure(figsize=chart.size)
    chart.draw(figure)
    figure.canvas.draw()
    axes = figure.axes[0]
    legend = axes.get_legend().get_window_extent()
    bars = [patch.get_window_extent() for patch in axes.patches]
    assert len(bars) == 6 and not [bar for bar in bars if bar.overlaps(legend)]

    card = json.loads((default_model_dir() / "card.json").read_text())
    png = reports.training_report(card).png()
    height = int.from_bytes(png[20:24], "big")  # the PNG header's IHDR height
    charts = sum(c.size[1] for c in reports.training_report(card).charts if c.wide) + 4.2  # + the last row's
    assert height <= (charts + 2.5) * 110  # at 110 dpi: the summary row is its 9 lines' height, not 4.2 in
    html = reports.training_report(card).html()  # the data's source by file name (the command keeps its paths)
    assert "<td>source</td><td>aclImdb_labeled.tar.gz + tweets_train_posneg.jsonl</td>" in html
