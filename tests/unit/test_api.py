"""The Python API: sentiment_cli.load / Model.predict, predict_proba, explain / evaluate (train: tests/keras)."""

from __future__ import annotations

import json
import multiprocessing
import pickle
import shutil
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import sentiment_cli
from conftest import make_reviews, write_csv
from sentiment_cli.api import CHUNK, Model, Result
from sentiment_cli.bundle import default_model_dir, read_bundle
from sentiment_cli.errors import ModelError
from sentiment_cli.explain import explain
from sentiment_cli.runtime import Predictor

TEXTS = [
    "A wonderful, moving film. I loved every minute of it.",
    "The worst movie of the year: boring, stupid and far too long.",
    "Not bad at all, though the ending dragged.",
    "qqzxv wwkkj",  # nothing the model knows
    "",
]


@pytest.fixture(scope="module")
def model() -> Model:
    return sentiment_cli.load()


def reference(texts: list[str]) -> np.ndarray:
    return Predictor(read_bundle(default_model_dir())).probabilities(texts)


def test_predict_is_the_runtime_prediction_per_text(model):
    expected = reference(TEXTS)
    results = model.predict(TEXTS)
    assert isinstance(results, list) and all(isinstance(r, Result) for r in results)
    assert [r.label for r in results[:2]] == ["positive", "negative"]
    assert [r.label for r in results[:3]] == [("negative", "positive")[int(p >= 0.5)] for p in expected[:3, 1]]
    for result, row in zip(results[:3], expected[:3], strict=True):
        assert result.probability == row[1]
        assert result.probabilities == {"negative": row[0], "positive": row[1]}
    # no silent guesses: a text without a known word, and an empty one, pass through with no label
    assert results[3:] == [Result(None, None, {}), Result(None, None, {})]
    proba = model.predict_proba(TEXTS)
    assert proba.shape == (5, 2) and proba.dtype == np.float64
    np.testing.assert_array_equal(proba, expected)
    assert np.isnan(proba[3:]).all() and np.allclose(proba[:3].sum(axis=1), 1.0)
    assert model.labels == ("negative", "positive") and model.card.labels == model.labels
    assert model.predict_proba([]).shape == (0, 2) and model.predict([]) == []


def test_threshold_moves_the_cut(model):
    p = model.predict_proba(TEXTS[2:3])[0, 1]
    assert model.predict(TEXTS[2:3], threshold=p)[0].label == "positive"
    assert model.predict(TEXTS[2:3], threshold=min(1.0, p + 1e-9))[0].label == "negative"
    with pytest.raises(ValueError, match="threshold"):
        model.predict(TEXTS, threshold=1.5)


def test_a_generator_streams_lazily_a_chunk_at_a_time(model):
    texts = [text for text, _ in make_reviews(3 * CHUNK + 7, seed=5)]
    consumed = []

    def source():
        for text in texts:
            consumed.append(text)
            yield text

    results = model.predict(source())
    assert not isinstance(results, list) and consumed == []  # nothing read before the first result is asked for
    first = next(results)
    assert len(consumed) == CHUNK
    rest = list(results)
    assert len(consumed) == len(texts) and len(rest) == len(texts) - 1
    assert [first, *rest] == model.predict(texts)
    np.testing.assert_array_equal(model.predict_proba(iter(texts)), model.predict_proba(texts))


def test_pandas_series_and_numpy_arrays(model):
    pd = pytest.importorskip("pandas")
    series = pd.Series([TEXTS[0], None, TEXTS[1], float("nan")], index=[10, 11, 12, 13])
    results = model.predict(series)
    assert [r.label for r in results] == ["positive", None, "negative", None]
    proba = model.predict_proba(series)
    np.testing.assert_array_equal(proba[[0, 2]], reference([TEXTS[0], TEXTS[1]]))
    assert np.isnan(proba[[1, 3]]).all()
    np.testing.assert_array_equal(model.predict_proba(np.array(TEXTS[:3])), reference(TEXTS[:3]))


def test_wrong_inputs_are_type_errors_that_say_what_to_do(model):
    with pytest.raises(TypeError, match=r"wrap one text in a list"):
        model.predict("A wonderful film.")
    with pytest.raises(TypeError, match="wrap one text"):
        model.predict_proba("A wonderful film.")
    with pytest.raises(TypeError, match="text 1 is of type int, not str"):
        model.predict(["fine", 3])
    with pytest.raises(TypeError, match="iterable"):
        model.predict(42)
    with pytest.raises(TypeError, match="one text"):
        model.explain(["a list"])
    with pytest.raises(TypeError, match=r"got a dict, which iterates over its keys: pass its text column"):
        model.predict({"text": "A wonderful film."})
    with pytest.raises(TypeError, match="ordered collection .* got a set"):
        model.predict({"a", "b"})
    with pytest.raises(TypeError, match="one-dimensional, got an array of 0 dimensions"):
        model.predict(np.array("A wonderful film."))
    with pytest.raises(TypeError, match="one-dimensional, got an array of 2 dimensions"):
        model.predict_proba(np.array([TEXTS[:2], TEXTS[:2]]))
    with pytest.raises(TypeError, match="path must be a model directory's path"):
        sentiment_cli.load(5)


def test_a_dataframe_is_refused_and_its_column_is_read(model):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"id": [1, 2], "text": TEXTS[:2]})
    with pytest.raises(TypeError, match=r"got a DataFrame, which iterates over its keys: .*predict\(df\['text'\]\)"):
        model.predict(frame)
    with pytest.raises(TypeError, match="DataFrame"):
        model.predict_proba(frame[["text"]])
    np.testing.assert_array_equal(model.predict_proba(frame["text"]), reference(TEXTS[:2]))
    with pytest.raises(TypeError, match=r"data must be a path .* got a DataFrame; .*to_parquet"):
        sentiment_cli.evaluate(frame)


def test_every_kind_of_missing_value_is_a_text_without_label(model):
    import decimal

    pd = pytest.importorskip("pandas")
    nullable = pd.Series([TEXTS[0], None, TEXTS[1]], dtype="string")  # its missing value is pandas.NA
    assert [r.label for r in model.predict(nullable)] == ["positive", None, "negative"]
    missing = [None, float("nan"), np.float32("nan"), decimal.Decimal("nan"), pd.NA, pd.NaT]
    proba = model.predict_proba([TEXTS[0], *missing])
    np.testing.assert_array_equal(proba[:1], reference(TEXTS[:1]))
    assert np.isnan(proba[1:]).all() and len(proba) == 7
    with pytest.raises(TypeError, match="text 1 is of type float, not str"):
        model.predict([TEXTS[0], 1.5])  # a number that is not missing is still refused


def test_a_numpy_threshold_is_a_threshold(model):
    texts = [TEXTS[0], TEXTS[1]]
    p = model.predict_proba(texts)[:, 1]
    middle = float(p.mean())  # between the two texts' probabilities
    assert p[1] + 0.01 < middle < p[0] - 0.01
    for kind in (np.float32, np.float64, float):
        assert [r.label for r in model.predict(texts, threshold=kind(middle))] == ["positive", "negative"]
        assert [r.label for r in model.predict(texts, threshold=kind(0.0))] == ["positive", "positive"]


def test_training_settings_are_checked_and_numpy_numbers_made_plain():
    from sentiment_cli.config import ModelConfig, TrainConfig

    with pytest.raises(ValueError, match="epochs must be an integer, got '1'"):
        TrainConfig(epochs="1")
    with pytest.raises(ValueError, match="learning_rate must be a number, got '0.1'"):
        TrainConfig(learning_rate="0.1")
    with pytest.raises(ValueError, match="batch_size must be an integer, got 8.0"):
        TrainConfig(batch_size=8.0)
    config = TrainConfig(epochs=np.int64(3), validation_split=np.float32(0.25), seed=np.int32(7))
    assert (type(config.epochs), type(config.validation_split), type(config.seed)) == (int, float, int)
    assert json.dumps(config.to_dict())  # the card's JSON takes it
    assert type(ModelConfig(vocab_size=np.int64(50)).vocab_size) is int


def test_explain_is_the_occlusion_explanation(model):
    text = "The acting was wooden and the plot made no sense."
    got = model.explain(text)
    want = explain(Predictor(read_bundle(default_model_dir())), text)
    assert got == want
    assert [text[t.start : t.end].lower() for t in got.tokens] == [t.token for t in got.tokens]
    assert min(got.tokens, key=lambda t: t.weight).token == "wooden"


def test_three_classes(three_class_model):
    model = sentiment_cli.load(three_class_model)
    assert model.labels == ("negative", "neutral", "positive")
    texts = ["great superb film", "awful dull plot", "okay average story"]
    proba = model.predict_proba(texts)
    assert proba.shape == (3, 3)
    results = model.predict(texts)
    assert [r.label for r in results] == [model.labels[i] for i in proba.argmax(axis=1)]
    assert [r.probability for r in results] == [row.max() for row in proba]
    assert list(results[0].probabilities) == list(model.labels)
    with pytest.raises(ValueError, match="two-class"):
        model.predict(texts, threshold=0.3)


def test_load_refuses_a_missing_or_damaged_directory(tmp_path):
    with pytest.raises(ModelError, match="no such model directory"):
        sentiment_cli.load(tmp_path / "nothing")
    copy = shutil.copytree(default_model_dir(), tmp_path / "model")
    (copy / "model.tflite").write_bytes(b"not a model")
    with pytest.raises(ModelError, match="sha256"):
        sentiment_cli.load(copy)


def test_pickles_as_its_directory_and_reopens_verified(tmp_path, model, tiny_model):
    assert len(pickle.dumps(model)) < 300  # a reference, not the weights
    again = pickle.loads(pickle.dumps(model))
    assert again is not model and again.path == model.path
    np.testing.assert_array_equal(again.predict_proba(TEXTS), model.predict_proba(TEXTS))

    copy = shutil.copytree(default_model_dir(), tmp_path / "model")
    moved = sentiment_cli.load(copy)
    data = pickle.dumps(moved)
    (copy / "model.tflite").write_bytes(b"altered")
    with pytest.raises(ModelError, match="sha256"):  # re-opened, so verified again
        pickle.loads(data)
    shutil.rmtree(copy)
    shutil.copytree(tiny_model, copy)  # another valid model in the same place
    with pytest.raises(ModelError, match="another model than the one pickled"):
        pickle.loads(data)


def _probabilities(model: Model, texts: list[str]) -> np.ndarray:
    return model.predict_proba(texts)


def test_a_spawned_process_pool_gets_the_model_by_reference(model):
    texts = [text for text, _ in make_reviews(200, seed=7)]
    chunks = [texts[i : i + 50] for i in range(0, len(texts), 50)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        parts = pool.starmap(_probabilities, [(model, chunk) for chunk in chunks])
    np.testing.assert_array_equal(np.concatenate(parts), model.predict_proba(texts))


def test_predict_proba_from_several_threads_equals_one_thread(model):
    texts = [text * (1 + i % 7) for i, (text, _) in enumerate(make_reviews(400, seed=9))]  # lengths vary
    chunks = [texts[i : i + 25] for i in range(0, len(texts), 25)]
    single = [model.predict_proba(chunk) for chunk in chunks]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            threaded = list(pool.map(model.predict_proba, chunks))
            for got, want in zip(threaded, single, strict=True):
                np.testing.assert_array_equal(got, want)
        explained = list(pool.map(model.explain, texts[:8]))
    assert explained == [model.explain(text) for text in texts[:8]]


def test_evaluate_refuses_a_dataset_read_with_other_classes(tmp_path):
    from sentiment_cli.data import load_dataset
    from sentiment_cli.errors import DataError

    rows = [(text, "good" if label else "bad") for text, label in make_reviews(40, seed=4)]
    data = write_csv(tmp_path / "words.csv", rows)
    with pytest.raises(DataError, match=r"the data's classes \(bad, good\) are not the model's \(negative, positive\)"):
        sentiment_cli.evaluate(load_dataset(data))
    model = sentiment_cli.load()
    read = load_dataset(write_csv(tmp_path / "labelled.csv", make_reviews(40, seed=4)), classes=model.labels)
    assert sentiment_cli.evaluate(read, model)["n"] == 40


