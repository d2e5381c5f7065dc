"""The LiteRT prediction path: batching, the tiny and shipped models' answers, one probability per text."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SHARED_ARCHIVE, make_reviews
from sentiment_cli.bundle import default_model_dir, read_bundle
from sentiment_cli.reviews import Review
from sentiment_cli.runtime import Predictor
from sentiment_cli.text import tokenize, tokenize_with_offsets


def classify(predictor, pairs):
    reviews = [Review(source, text) for source, text in pairs]
    return predictor.predictions(reviews, predictor.probabilities([r.text for r in reviews]))


def test_result_does_not_depend_on_batching(tiny_model):
    predictor = Predictor(read_bundle(tiny_model))
    texts = [text for text, _ in make_reviews(40, seed=6)]
    together = predictor.probabilities(texts)
    batch, calls = predictor._runners[32], []

    def counted(**arrays):
        calls.append(len(next(iter(arrays.values()))))
        return batch(**arrays)

    predictor._runners[32] = counted
    alone = np.array([predictor.probabilities([t])[0] for t in texts])
    assert together.shape == (40, 2)
    np.testing.assert_allclose(together, alone, atol=1e-6)
    assert calls == []  # a single review runs the one-row signature, not 31 rows of padding beside it
    np.testing.assert_allclose(predictor.probabilities(texts[:2]), together[:2], atol=1e-6)
    assert calls == [32]


@pytest.mark.parametrize("which", ["tiny", "tiny_seed"])
def test_tiny_models_learned_the_synthetic_task(request, which):
    bundle = read_bundle(request.getfixturevalue(f"{which}_model"))
    assert bundle.card.metrics["test"]["accuracy"] >= 0.9
    reviews = make_reviews(60, seed=7)
    predictions = classify(Predictor(bundle), [(str(i), text) for i, (text, _) in enumerate(reviews)])
    assert [p.source for p in predictions] == [str(i) for i in range(60)]
    accuracy = np.mean(
        [(p.label == "positive") == bool(label) for p, (_, label) in zip(predictions, reviews, strict=True)]
    )
    assert accuracy >= 0.9


def test_shipped_model_gets_obvious_reviews_right():
    predictions = classify(
        Predictor(read_bundle()),
        [
            ("a", "One of the best films I have ever seen. Brilliant acting, a moving story, I loved it."),
            ("b", "Terrible. The worst movie of the year, boring and stupid, a complete waste of time."),
        ],
    )
    assert [p.label for p in predictions] == ["positive", "negative"]
    assert predictions[0].probability > 0.8 and predictions[1].probability < 0.2


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_ARCHIVE.is_file(), reason="../shared IMDB archive not present")
@pytest.mark.parametrize(("name", "goal"), [("default", 0.90), ("imdb", 0.915)])
def test_shipped_models_score_on_the_imdb_test_split_what_their_cards_say(name, goal):
    """The general model is held to 0.90 on IMDB test (0.9089 as shipped: docs/results.md says why it
    is below the movie model); the movie model, ``imdb``, to the 0.915 it always met."""
    from sentiment_cli.api import evaluate

    result = evaluate(SHARED_ARCHIVE, model=name)  # through the prediction runtime (LiteRT)
    card = read_bundle(default_model_dir(name)).card.metrics["test"]
    assert result["n"] == 25_000 and result["unreadable"] == 0
    assert result["accuracy"] >= goal
    assert result["accuracy"] == pytest.approx(card["accuracy"], abs=2e-4)  # as Keras scored it in training


def test_progress_counts_toward_the_file_size_only_for_plain_text(tmp_path):
    from sentiment_cli.cli.predict import _input_bytes
    from sentiment_cli.reviews import TableInput

    plain, lines, table = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.csv.gz"
    plain.write_text("A fine film.", encoding="utf-8")
    lines.write_text("Good.\nBad.\n", encoding="utf-8")
    table.write_bytes(b"\x1f\x8b")
    assert _input_bytes([str(plain), str(lines)], TableInput()) == 12 + 11
    assert _input_bytes([str(plain), str(table)], TableInput()) is None  # a compressed table: size is no measure
    assert _input_bytes([str(plain)], TableInput(input_format="csv")) is None
    assert _input_bytes([str(plain), "-"], TableInput()) is None
    assert _input_bytes([str(tmp_path / "missing.txt")], TableInput()) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=300), min_size=1, max_size=40))
def test_any_text_gets_one_probability(tiny_model, texts):
    predictor = Predictor(read_bundle(tiny_model))
    probabilities = predictor.probabilities(texts)
    assert probabilities.shape == (len(texts), 2)
    # a row is NaN exactly when the model knows nothing in the text; every other row is a distribution
    unknown = np.array([not predictor.encoder.encode(t).readable for t in texts], dtype=bool)
    np.testing.assert_array_equal(np.isnan(probabilities).any(axis=1), unknown)
    assert np.all((probabilities[~unknown] >= 0) & (probabilities[~unknown] <= 1))
    np.testing.assert_allclose(probabilities[~unknown].sum(axis=1), 1.0)
    for text in texts:
        tokens = tokenize_with_offsets(text)
        assert [t.text for t in tokens] == tokenize(text)
        assert all(text[t.start : t.end].lower() == t.text or t.text in ("@user", "<url>") for t in tokens)
