"""A review in which the model knows nothing gets no label: never a silent guess from the padding."""

import json

import numpy as np

from conftest import make_reviews, runner, write_csv
from sentiment_cli.bundle import read_bundle
from sentiment_cli.cli import app
from sentiment_cli.runtime import Predictor

UNKNOWN = ["", "!!!", "жжж щщщ", "… — …"]


def test_unknown_reviews_get_nan_rows_and_no_label(tiny_model):
    predictor = Predictor(read_bundle(tiny_model))
    texts = ["the movie was great and wonderful", *UNKNOWN, "awful and boring film"]
    probabilities = predictor.probabilities(texts)
    assert np.isnan(probabilities[1:-1]).all()
    assert np.isfinite(probabilities[[0, -1]]).all()
    np.testing.assert_allclose(probabilities[[0, -1]].sum(axis=1), 1.0)
    classes = predictor.predicted_classes(probabilities)
    assert classes.tolist() == [1, -1, -1, -1, -1, 0]


def test_predict_leaves_unknown_reviews_unlabelled_and_says_how_many(tiny_model):
    lines = "great wonderful movie\n!!!\nжжж щщщ\nawful boring film\n"
    result = runner.invoke(app, ["predict", "-", "-m", str(tiny_model), "--format", "jsonl"], input=lines)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["label"] for r in rows] == ["positive", None, None, "negative"]
    assert [r["probability"] is None for r in rows] == [False, True, True, False]
    assert "2 reviews had no word or n-gram the model knows (first: <stdin>:2)" in result.stderr


def test_evaluate_counts_unknown_reviews_and_scores_the_rest(tiny_model, tmp_path):
    rows = make_reviews(40, seed=5)
    data = write_csv(tmp_path / "data.csv", [*rows, ("!!!", 1), ("жжж", 0), ("", 1)])
    result = runner.invoke(app, ["evaluate", str(data), "-m", str(tiny_model), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # the empty text is skipped by the reader; the two without a known word are counted, not scored
    assert report["unreadable"] == 2
    assert report["n"] == 40
    table = runner.invoke(app, ["evaluate", str(data), "-m", str(tiny_model)])
    assert "not scored: no word or n-gram the model knows" in table.stdout


def test_explain_does_not_guess_either(tiny_model):
    from sentiment_cli.api import load

    model = load(tiny_model)
    explained = model.explain("!!! жжж")
    assert explained.probability is None and explained.tokens == [] and explained.phrases == []
    assert model.explain("great wonderful movie").probability == model.predict(["great wonderful movie"])[0].probability
    # the terminal's table format says why there is nothing to show (it used to raise a TypeError)
    lines = "great wonderful movie\n!!!\n"
    result = runner.invoke(app, ["predict", "-", "-m", str(tiny_model), "--explain", "-f", "table"], input=lines)
    assert result.exit_code == 0, result.output
    assert "<stdin>:2  (no word or n-gram the model knows: no label)" in result.stdout
    assert "<stdin>:1  positive" in result.stdout
    jsonl = runner.invoke(app, ["predict", "-", "-m", str(tiny_model), "--explain", "-f", "jsonl"], input=lines)
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert rows[1] == {"source": "<stdin>:2", "label": None, "probability": None, "explanation": [],
                       "explanation_base": None, "explanation_logit": None, "explanation_rest": None}  # fmt: skip
