"""Shared fixtures and helpers of the layers: tests/unit, tests/cli, tests/keras and tests/system (tests/README.md).

Small synthetic review data; the tiny models, committed under tests/data/ (rebuilt by tests/make_fixtures.py,
checked for staleness by tests/system/test_fixtures_fresh.py) and copied once per session, so the quick run trains
nothing; one ``runner`` and ``invoke()``/``jsonl()`` for the CLI tests.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "data"

runner = CliRunner()


def invoke(*args: object, **kwargs):
    """``sentiment ARGS...`` through Typer's runner (arguments made strings): the Result, stdout and stderr apart."""
    from sentiment_cli.cli import app

    return runner.invoke(app, [str(arg) for arg in args], **kwargs)


def jsonl(text: str) -> list:
    """The records of JSON Lines output."""
    return [json.loads(line) for line in text.splitlines()]


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The quick run (``-m 'not slow'``) does not import tests/system/'s modules (Spark, Hypothesis...): all slow."""
    if config.option.markexpr.replace(" ", "") == "notslow" and collection_path == TESTS / "system":
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/system/ is slow (processes, signals, Spark, browsers, fuzzing): the quick run skips it."""
    system = TESTS / "system"
    for item in items:
        if system in item.path.parents:
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """A module under tests/unit/ whose import imports TensorFlow fails to collect (the fixture below checks each
    test). TensorFlow stays imported once anything imports it, so both checks bite when tests/unit runs alone."""
    before = "tensorflow" in sys.modules
    report = yield
    unit = isinstance(collector, pytest.Module) and TESTS / "unit" in collector.path.parents
    if unit and not before and "tensorflow" in sys.modules and report.passed:
        report.outcome = "failed"
        report.longrepr = f"{collector.path}: importing it imports TensorFlow; tests/unit runs without it"
    return report


@pytest.fixture(autouse=True)
def _unit_tests_import_no_tensorflow(request: pytest.FixtureRequest):
    """A test under tests/unit/ that imports TensorFlow fails: that layer runs without it (tests/keras/ has those)."""
    if TESTS / "unit" not in request.node.path.parents or "tensorflow" in sys.modules:
        yield
        return
    yield
    assert "tensorflow" not in sys.modules, f"{request.node.nodeid} imported TensorFlow: it belongs in tests/keras/"

POSITIVE = ["great", "wonderful", "superb", "loved", "excellent", "brilliant", "moving", "delightful"]
NEGATIVE = ["awful", "terrible", "boring", "hated", "worst", "dull", "painful", "dreadful"]
FILLER = [
    "the",
    "movie",
    "film",
    "plot",
    "acting",
    "story",
    "was",
    "and",
    "a",
    "it",
    "this",
    "i",
    "scenes",
    "characters",
    "director",
    "of",
]
SHARED_ARCHIVE = TESTS.parents[1] / "shared" / "data" / "aclImdb_labeled.tar.gz"


def make_reviews(n: int, seed: int = 0) -> list[tuple[str, int]]:
    """``n`` short reviews alternating negative (0) and positive (1), two sentiment words each."""
    rng = random.Random(seed)
    reviews = []
    for i in range(n):
        label = i % 2
        words = rng.choices(FILLER, k=rng.randint(4, 14)) + rng.choices(POSITIVE if label else NEGATIVE, k=2)
        rng.shuffle(words)
        reviews.append((" ".join(words).capitalize() + ".", label))
    return reviews


def write_csv(path: Path, rows: list[tuple[str, int]], header=("text", "label"), delimiter=",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_folder(root: Path, splits: dict[str, list[tuple[str, int]]]) -> Path:
    """An aclImdb-style tree: root/SPLIT/{pos,neg}/ID_RATING.txt."""
    for split, rows in splits.items():
        for i, (text, label) in enumerate(rows):
            folder = root / split / ("pos" if label else "neg")
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{i}_{8 if label else 2}.txt").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def imdb_like(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small aclImdb-style folder with train (400) and test (100) splits."""
    root = tmp_path_factory.mktemp("data") / "aclImdb"
    return write_folder(root, {"train": make_reviews(400, seed=1), "test": make_reviews(100, seed=2)})


TINY_TRAIN_ARGS = [
    "--vocab-size", "60", "--max-length", "24", "--embedding-dim", "8", "--lstm-units", "4",
    "--dense-units", "4", "--epochs", "4", "--batch-size", "16", "--patience", "2", "--learning-rate", "0.01",
    "--ngram-vocab-size", "500",
]  # fmt: skip


def train_tiny(out: Path, data: Path, *extra: str) -> Path:
    """Train the tiny recipe through the CLI (TensorFlow): for the tests that test training."""
    result = invoke("train", data, "--out", out, *TINY_TRAIN_ARGS, *extra)
    assert result.exit_code == 0, result.output
    return out


def committed_model(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A session copy of the committed fixture tests/data/NAME (tests may write beside or into it)."""
    return Path(shutil.copytree(FIXTURES / name, tmp_path_factory.mktemp("models") / name))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny hybrid model: TINY_TRAIN_ARGS on ``imdb_like``'s data (tests/data/tiny, by tests/make_fixtures.py)."""
    return committed_model(tmp_path_factory, "tiny")


@pytest.fixture(scope="session")
def tiny_seed_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same, with the seed notebook's architecture (tests/data/tiny-seed)."""
    return committed_model(tmp_path_factory, "tiny-seed")


NEUTRAL = ["okay", "average", "fine", "ordinary", "passable", "acceptable", "middling", "so-so"]
KOREAN_POSITIVE = ["재밌다", "최고", "명작", "추천", "감동"]
KOREAN_NEGATIVE = ["지루하다", "최악", "별로", "실망", "노잼"]
KOREAN_FILLER = ["영화가", "영화는", "영화를", "게임이", "게임은", "스토리가", "그래픽은", "진짜", "너무", "정말"]


def make_three_class(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` short reviews cycling negative, neutral, positive."""
    rng = random.Random(seed)
    names = ("negative", "neutral", "positive")
    rows = []
    for i in range(n):
        label = names[i % 3]
        words = {"negative": NEGATIVE, "neutral": NEUTRAL, "positive": POSITIVE}[label]
        tokens = rng.choices(FILLER, k=rng.randint(4, 10)) + rng.choices(words, k=2)
        rng.shuffle(tokens)
        rows.append((" ".join(tokens), label))
    return rows


def make_korean(n: int, seed: int = 0) -> list[tuple[str, int]]:
    """``n`` short Korean reviews (particles attached to words), alternating 0 and 1."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = i % 2
        sentiment = rng.choice(KOREAN_POSITIVE if label else KOREAN_NEGATIVE)
        tokens = [*rng.choices(KOREAN_FILLER, k=rng.randint(2, 6)), sentiment]
        rng.shuffle(tokens)
        rows.append((" ".join(tokens), label))
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def three_class_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny hybrid model trained on a 3-class JSON Lines file (negative/neutral/positive): tests/data/three-class,
    TINY_TRAIN_ARGS and ``--epochs 5`` on ``make_three_class(600, seed=3)`` as ``{"tweet", "sentiment"}`` rows."""
    return committed_model(tmp_path_factory, "three-class")


@pytest.fixture(scope="module")
def three_class_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 three-class rows to evaluate on, the first a formula and markup (the reports' tests)."""
    folder = tmp_path_factory.mktemp("three-eval")
    rows = [{"tweet": t, "sentiment": y} for t, y in make_three_class(150, seed=11)]
    rows[0]["tweet"] = '=HYPERLINK("http://x") okay <script>x</script>'
    return write_jsonl(folder / "test.jsonl", rows)


@pytest.fixture(scope="module")
def evaluated(tiny_model: Path, imdb_like: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``sentiment evaluate --report --predictions`` on the tiny binary model's test split."""
    out = tmp_path_factory.mktemp("evaluated")
    from sentiment_cli.cli import app

    result = runner.invoke(
        app, ["evaluate", str(imdb_like), "--model", str(tiny_model), "--format", "json",
              "--report", str(out / "report.html"), "--predictions", str(out / "predictions.csv")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return {"json": json.loads(result.stdout), "dir": out, "stderr": result.stderr}


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch):
    """Rich's consoles as on a colour terminal 200 columns wide (where markup or a hyperlink would do harm), made
    afresh for the test and again after it."""
    from sentiment_cli.cli import console as output

    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    output._out.cache_clear()
    output._err.cache_clear()
    yield
    output._out.cache_clear()
    output._err.cache_clear()


@pytest.fixture
def wide_stdout(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """stdout's console made afresh at COLUMNS=200 (a table not folded to the 80 columns a pipe gets), then
    made afresh again after the test."""
    from sentiment_cli.cli import console as output

    monkeypatch.setenv("COLUMNS", "200")
    output._out.cache_clear()
    yield
    output._out.cache_clear()
