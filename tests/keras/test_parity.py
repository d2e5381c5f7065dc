"""Keras against LiteRT (needs TensorFlow): the exported model predicts what Keras predicts, and a .keras file
saves and loads back to the same predictions."""


import functools
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import SHARED_ARCHIVE, make_reviews
from sentiment_cli._tensorflow import keras
from sentiment_cli.bundle import default_model_dir, read_bundle
from sentiment_cli.metrics import sigmoid, softmax
from sentiment_cli.runtime import Predictor


def keras_probabilities(bundle, texts):
    """The reference: Keras on the same weights, every review padded to the training length."""
    import sentiment_cli.model  # noqa: F401  (registers the hybrid's own layers)

    model = keras.saving.load_model(bundle.keras_path, safe_mode=True, compile=False)
    encoder = bundle.encoder
    arrays = encoder.batch([encoder.encode(t) for t in texts], length=encoder.max_length)
    assert arrays["token_ids"].shape == (len(texts), encoder.max_length)
    inputs = arrays if len(model.inputs) > 1 else arrays["token_ids"]
    return model.predict(inputs, verbose=0).ravel()


@pytest.mark.parametrize("which", ["tiny", "tiny_seed", "shipped"])
def test_litert_matches_keras(request, which):
    path = default_model_dir() if which == "shipped" else request.getfixturevalue(f"{which}_model")
    bundle = read_bundle(path)
    texts = [text for text, _ in make_reviews(70, seed=5)]
    texts += ["", "!!!", "great " * 400, "unknownword " * 3]  # empty, no tokens, over max_length, all unknown
    predictor = Predictor(bundle)
    # the raw model output, also for the reviews it cannot read (which predictions leave unlabelled)
    fast = sigmoid(predictor.logits_of(predictor.encode(texts)))
    reference = keras_probabilities(bundle, texts)
    np.testing.assert_allclose(fast, reference, atol=1e-4)
    assert np.isnan(predictor.probabilities(texts)[-4:-2]).all()
    assert ((fast >= 0.5) == (reference >= 0.5)).all()
    # one review at a time: the flatbuffer's one-row signature
    alone = sigmoid(np.concatenate([predictor.logits_of(predictor.encode([text])) for text in texts]))
    np.testing.assert_allclose(alone, reference, atol=1e-4)


def _logits_model(bundle):
    """The model as the flatbuffer holds it: the final layer's logits, before the sigmoid."""
    from sentiment_cli.model import head_name
    from sentiment_cli.training.export import logits_model

    network = keras.saving.load_model(bundle.keras_path, safe_mode=True, compile=False)
    return logits_model(network, head_name(len(bundle.labels)))


def _put_flatbuffer(model: Path, data: bytes) -> None:
    card = json.loads((model / "card.json").read_text())
    card["files"]["model.tflite"] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    (model / "model.tflite").write_bytes(data)
    (model / "card.json").write_text(json.dumps(card))


def test_a_flatbuffer_of_one_signature_still_predicts_alone_as_in_a_batch(tiny_model, tmp_path):
    """Models exported before the one-row signature have one signature of 32 rows: they run as before."""
    model = Path(shutil.copytree(tiny_model, tmp_path / "old"))
    bundle = read_bundle(model)
    specs = {name: keras.InputSpec(shape=(32, None), dtype="int32", name=name) for name in bundle.encoder.input_names}
    _logits_model(bundle).export(str(tmp_path / "old.tflite"), format="litert", input_signature=[specs], verbose=False)
    _put_flatbuffer(model, (tmp_path / "old.tflite").read_bytes())

    old, new = Predictor(read_bundle(model)), Predictor(bundle)
    assert len(old._interpreter.get_signature_list()) == 1 and not old._runners
    texts = [text for text, _ in make_reviews(40, seed=6)]
    together = old.probabilities(texts)
    np.testing.assert_allclose(together, new.probabilities(texts), atol=1e-6)
    np.testing.assert_allclose(np.concatenate([old.probabilities([t]) for t in texts]), together, atol=1e-6)


def test_a_one_review_signature_of_another_shape_is_refused(tiny_model, tmp_path):
    from sentiment_cli._tensorflow import tf
    from sentiment_cli.errors import ModelError

    model = Path(shutil.copytree(tiny_model, tmp_path / "odd"))
    bundle = read_bundle(model)
    logits = _logits_model(bundle)
    archive = keras.export.ExportArchive()
    archive.track(logits)
    for key, rows in (("batch", 32), ("one", 2)):
        specs = {name: tf.TensorSpec((rows, None), tf.int32, name=name) for name in bundle.encoder.input_names}
        archive.add_endpoint(key, functools.partial(logits.__call__, training=False), input_signature=[specs])
    archive.write_out(str(tmp_path / "saved"), verbose=False)
    converter = tf.lite.TFLiteConverter.from_saved_model(str(tmp_path / "saved"), signature_keys=["batch", "one"])
    converter.experimental_enable_resource_variables = True
    _put_flatbuffer(model, converter.convert())
    with pytest.raises(ModelError, match=r"model.tflite: its one-review signature does not take the tokenizer's "
                       r"token_ids, ngram_ids as \(1, length\) int32 or give \(1, 1\) float32"):  # fmt: skip
        Predictor(read_bundle(model))


@pytest.mark.slow
@pytest.mark.parametrize("which", ["tiny_model", "three_class_model"])
def test_keras_save_and_load_round_trip(request, tmp_path, which):
    """model.keras loads (safe mode), saves and loads again to the same predictions as the LiteRT model."""
    from sentiment_cli._tensorflow import keras
    from sentiment_cli.inspection import load_keras

    bundle = read_bundle(request.getfixturevalue(which))
    model = load_keras(bundle.keras_path)
    again_path = tmp_path / "again.keras"
    model.save(again_path)
    again = load_keras(again_path)
    texts = [text for text, _ in make_reviews(30, seed=12)] + ["", "!!!", "unknown words only"]
    arrays = bundle.encoder.batch([bundle.encoder.encode(t) for t in texts])
    inputs = arrays if len(model.inputs) > 1 else arrays["token_ids"]
    first, second = (np.asarray(m.predict(inputs, verbose=0)) for m in (model, again))
    np.testing.assert_allclose(second, first, rtol=1e-6, atol=1e-7)
    predictor = Predictor(bundle)
    logits = predictor.logits_of(predictor.encode(texts))  # raw: the unreadable texts too
    litert = sigmoid(logits)[:, None] if logits.ndim == 1 else softmax(logits)
    expected = first
    np.testing.assert_allclose(litert, expected, atol=1e-4)
    assert isinstance(again, keras.Model)


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_ARCHIVE.is_file(), reason="../shared IMDB archive not present")
def test_shipped_model_parity_on_2000_imdb_test_reviews():
    from sentiment_cli.data import load_dataset

    texts = load_dataset(SHARED_ARCHIVE).split("test").texts[::12][:2000]
    bundle = read_bundle(default_model_dir())
    fast = Predictor(bundle).probabilities(texts)[:, 1]
    reference = keras_probabilities(bundle, texts)
    assert len(texts) == 2000
    np.testing.assert_allclose(fast, reference, atol=1e-4)
    assert ((fast >= 0.5) == (reference >= 0.5)).all()
