"""Training on several data sets at once: splits joined in order, classes shared, every part on the card
(training on them: tests/cli/test_train.py)."""

import numpy as np
import pytest

from conftest import make_reviews, write_csv, write_jsonl
from sentiment_cli.data import combine, data_paths, load_dataset
from sentiment_cli.errors import DataError


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


