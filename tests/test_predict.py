"""The LiteRT prediction path: parity with Keras, batching, and no TensorFlow import."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import SHARED_ARCHIVE, make_reviews
from sentiment_cli._tensorflow import keras
from sentiment_cli.bundle import default_model_dir, read_bundle
from sentiment_cli.metrics import sigmoid
from sentiment_cli.reviews import Review
from sentiment_cli.runtime import Predictor


def classify(predictor, pairs):
    reviews = [Review(source, text) for source, text in pairs]
    return predictor.predictions(reviews, predictor.probabilities([r.text for r in reviews]))


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


def test_result_does_not_depend_on_batching(tiny_model):
    predictor = Predictor(read_bundle(tiny_model))
    texts = [text for text, _ in make_reviews(40, seed=6)]
    together = predictor.probabilities(texts)
    alone = np.array([predictor.probabilities([t])[0] for t in texts])
    assert together.shape == (40, 2)
    np.testing.assert_allclose(together, alone, atol=1e-6)


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


def test_prediction_never_imports_tensorflow(tiny_model, tmp_path):
    review = tmp_path / "review.txt"
    review.write_text("A wonderful film.")
    script = textwrap.dedent(
        f"""
        import sys
        from sentiment_cli.cli import app
        try:
            app(["predict", "--model", {str(tiny_model)!r}, {str(review)!r}, "--format", "jsonl"])
        except SystemExit as exit:
            assert exit.code in (0, None), exit.code
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
        print("HEAVY", heavy)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert '"source": ' in result.stdout
    assert "HEAVY []" in result.stdout


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


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_ARCHIVE.is_file(), reason="../shared IMDB archive not present")
def test_shipped_model_scores_on_the_imdb_test_split_what_its_card_says():
    from sentiment_cli.api import evaluate

    result = evaluate(SHARED_ARCHIVE)  # the shipped model, through the prediction runtime (LiteRT)
    card = read_bundle(default_model_dir()).card.metrics["test"]
    assert result["n"] == 25_000 and result["unreadable"] == 0
    assert result["accuracy"] >= 0.915  # the goal the shipped model is held to
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


def test_output_that_would_replace_an_input_or_contradict_format_is_refused(tiny_model, tmp_path):
    from typer.testing import CliRunner

    from conftest import write_csv
    from sentiment_cli.cli import app

    runner = CliRunner()
    data = write_csv(tmp_path / "same.csv", [("great wonderful film", 1), ("awful boring film", 0)])
    before = data.read_bytes()
    result = runner.invoke(app, ["predict", str(data), "-m", str(tiny_model), "-o", str(data)])
    assert result.exit_code == 2 and "is also an input: it would be replaced" in result.stderr
    assert data.read_bytes() == before
    link = tmp_path / "link.csv"
    link.symlink_to(data)  # the same file by another name
    assert runner.invoke(app, ["predict", str(data), "-m", str(tiny_model), "-o", str(link)]).exit_code == 2
    assert data.read_bytes() == before
    for target in (data, link):  # evaluate's --predictions refuses it as predict's -o does
        result = runner.invoke(app, ["evaluate", str(data), "-m", str(tiny_model), "--predictions", str(target)])
        assert result.exit_code == 2 and f"{target} is also the data: it would be replaced" in result.stderr
    assert data.read_bytes() == before
    result = runner.invoke(app, ["predict", str(data), "-m", str(tiny_model), "-o", str(tmp_path / "o.parquet"),
                                 "--format", "csv"])  # fmt: skip
    assert result.exit_code == 2 and "a .parquet file is written as Parquet, not csv" in result.stderr
    # .json means JSON lines for evaluate --predictions as for predict -o
    result = runner.invoke(app, ["predict", str(data), "-m", str(tiny_model), "-o", str(tmp_path / "p.json")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["evaluate", str(data), "-m", str(tiny_model), "--predictions",
                                 str(tmp_path / "e.json"), "-f", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    predicted = [json.loads(line)["label"] for line in (tmp_path / "p.json").read_text().splitlines()]
    evaluated = [json.loads(line)["label"] for line in (tmp_path / "e.json").read_text().splitlines()]
    assert predicted == evaluated and len(predicted) == 2
