"""The Python API as notebook users expect it (Hugging Face's pipeline(), spaCy's nlp()): a callable model,
flat probability columns for pandas, the label's probability by name, rich display of explanations.
Runs on the shipped model: no training."""

from __future__ import annotations

import pickle

import pytest

import sentiment_cli
from sentiment_cli.api import Result


@pytest.fixture(scope="module")
def model():
    return sentiment_cli.load()


def test_a_model_is_called_like_a_pipeline(model):
    one = model("An absolute masterpiece, moving and beautifully shot.")
    assert isinstance(one, Result) and one.label == "positive"
    many = model(["A wonderful film.", "Dull, boring and far too long."])
    assert [r.label for r in many] == ["positive", "negative"]
    assert many == model.predict(["A wonderful film.", "Dull, boring and far too long."])
    streamed = model(iter(["A wonderful film."]))
    assert not isinstance(streamed, list) and next(streamed) == many[0]


def test_the_label_probability_is_named(model):
    negative = model("Dull, boring and far too long.")
    assert negative.label == "negative"
    assert negative.probability == negative.probabilities["positive"] < 0.5  # P(positive), as predict writes it
    assert negative.label_probability == negative.probabilities["negative"] > 0.5
    assert model("zzqx qqzx").label_probability is None


def test_results_make_flat_dataframe_columns(model):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(model(["A wonderful film.", "Dull.", "zzqx qqzx"]))
    assert list(frame.columns) == ["label", "probability", "p_negative", "p_positive"]
    assert frame["p_negative"].iloc[0] + frame["p_positive"].iloc[0] == pytest.approx(1.0)
    assert frame["label"].isna().iloc[2] and frame["p_positive"].isna().iloc[2]


def test_a_result_is_a_read_only_record(model):
    result = model("A wonderful film.")
    assert dict(result) == {"label": "positive", "probability": result.probability,
                            "p_negative": result.probabilities["negative"],
                            "p_positive": result.probabilities["positive"]}  # fmt: skip
    with pytest.raises(AttributeError):
        result.label = "negative"
    with pytest.raises(TypeError):
        result["label"] = "negative"
    with pytest.raises(TypeError):
        result.update(label="negative")
    assert pickle.loads(pickle.dumps(result)) == result
    assert hash(result) == hash(Result(result.label, result.probability, result.probabilities))


def test_an_explanation_shows_itself_in_a_notebook_and_adds_up(model):
    explanation = model.explain("Not bad at all. <script>alert(1)</script>")
    html = explanation._repr_html_()
    assert "<script" not in html and "&lt;/" in html  # the text's markup is escaped, never live
    assert "¬bad" in html and "(negated)" in html
    assert f"logit {explanation.logit:+.3f} = base {explanation.base:+.3f}" in html
    total = explanation.base + sum(t.weight for t in explanation.tokens) + explanation.rest
    assert total == pytest.approx(explanation.logit, abs=1e-4)
    assert explanation.target == "positive"
    assert [t.token for t in explanation.tokens if t.negated] == ["bad", "at", "all"]


def test_any_real_threshold_and_a_dicts_keys_are_taken(model):
    from decimal import Decimal
    from fractions import Fraction

    import numpy as np

    texts = {"A wonderful film.": 1, "Dull.": 2}
    base = model.predict(list(texts))
    for threshold in (0.5, Fraction(1, 2), Decimal("0.5"), np.float32(0.5)):
        assert model.predict(texts.keys(), threshold=threshold) == base
    for bad in (Decimal("NaN"), Decimal("1.5"), True, 1j, "0.5"):
        with pytest.raises(ValueError, match="threshold must be a number from 0 to 1"):
            model.predict(list(texts), threshold=bad)
