"""Training on several data sets at once: splits joined in order, classes shared, every part on the card."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import TINY_TRAIN_ARGS, make_reviews, write_csv, write_jsonl
from sentiment_cli.cli import app
from sentiment_cli.data import combine, data_paths, load_dataset
from sentiment_cli.errors import DataError

runner = CliRunner()


@pytest.fixture
def two_files(tmp_path):
    first = write_csv(tmp_path / "a.csv", make_reviews(60, seed=1))
    rows = [{"review": t, "sentiment": ["neg", "pos"][y], "split": "train"} for t, y in make_reviews(20, seed=2)]
    rows += [{"review": t, "sentiment": ["neg", "pos"][y], "split": "test"} for t, y in make_reviews(10, seed=3)]
    second = write_jsonl(tmp_path / "b.jsonl", rows)
    return first, second


def test_combine_joins_each_split_in_order_on_the_first_classes(two_files):
    first = load_dataset(two_files[0])
    second = load_dataset(two_files[1], classes=first.classes)
    both = combine([first, second])
    assert both.classes == first.classes == ("negative", "positive")
    assert both.sizes() == {"train": 80, "test": 10}
    train = both.split("train")
    assert train.texts == first.split("train").texts + second.split("train").texts
    np.testing.assert_array_equal(
        train.labels, np.concatenate([first.split("train").labels, second.split("train").labels])
    )
    assert train.sources[0].startswith(str(two_files[0])) and train.sources[-1].startswith(str(two_files[1]))
    parts = both.fingerprint["parts"]
    assert [p["path"] for p in parts] == [str(f) for f in two_files]
    assert [p["splits"] for p in parts] == [{"train": 60}, {"train": 20, "test": 10}]
    assert parts[1]["columns"]["text"] == "review"
    assert data_paths(both) == list(two_files)
    assert combine([first]) is first


def test_combine_refuses_different_classes(two_files, tmp_path):
    first = load_dataset(two_files[0])
    three = write_csv(tmp_path / "c.csv", [("fine", "neutral"), ("great", "positive"), ("awful", "negative")] * 3)
    with pytest.raises(DataError, match="classes"):
        combine([first, load_dataset(three)])


@pytest.mark.slow
def test_train_on_two_data_sets_lists_both_on_the_card(two_files, tmp_path):
    out = tmp_path / "model"
    result = runner.invoke(app, ["train", *map(str, two_files), "--out", str(out), *TINY_TRAIN_ARGS, "--epochs", "2"])
    assert result.exit_code == 0, result.output
    card = json.loads((out / "card.json").read_text())
    assert card["data"]["source"] == f"{two_files[0]} + {two_files[1]}"
    assert [part["sha256"] for part in card["data"]["parts"]] != [None, None]
    assert card["training"]["train_reviews"] + card["training"]["validation_reviews"] == 80
    assert card["metrics"]["test"]["n"] == 10
    # --force never replaces a folder holding the second data set either
    clash = runner.invoke(app, ["train", *map(str, two_files), "--out", str(two_files[1].parent), "--force"])
    assert clash.exit_code == 1 and all(f.exists() for f in two_files)
    assert "holds the training data" in clash.stderr


@pytest.mark.slow
def test_training_text_with_no_shared_n_gram_is_a_data_error(tmp_path):
    # six one-digit reviews, no digit twice among them: the n-gram bag would have no entry
    data = write_csv(tmp_path / "d.csv", [("4", 0), ("3", 0), ("2", 0), ("7", 0), ("1", 0), ("9", 1)])
    result = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m"), *TINY_TRAIN_ARGS])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "the n-gram bag would be empty" in result.stderr and not (tmp_path / "m").exists()
