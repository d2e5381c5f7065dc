"""Per-word explanations (occlusion on the LiteRT path), from the library."""

import pytest

from conftest import FILLER, NEGATIVE, POSITIVE
from sentiment_cli.bundle import read_bundle
from sentiment_cli.explain import explain
from sentiment_cli.runtime import Predictor


@pytest.mark.parametrize("which", ["tiny", "tiny_seed"])
def test_the_one_negative_word_is_the_most_negative_token(request, which):
    predictor = Predictor(read_bundle(request.getfixturevalue(f"{which}_model")))
    text = f"The {FILLER[1]} {FILLER[3]} was {NEGATIVE[0]}, and {FILLER[4]} {FILLER[5]} of {FILLER[2]}."
    explanation = explain(predictor, text)
    assert explanation.probability == pytest.approx(float(predictor.probabilities([text])[0, 1]), abs=1e-6)
    most_negative = min(explanation.tokens, key=lambda t: t.weight)
    assert most_negative.token == NEGATIVE[0]
    assert most_negative.weight < 0
    positive = explain(predictor, f"the {FILLER[1]} was {POSITIVE[0]} and the {FILLER[4]} {FILLER[3]}")
    assert max(positive.tokens, key=lambda t: t.weight).token == POSITIVE[0]


@pytest.mark.parametrize("which", ["tiny", "tiny_seed"])
def test_a_long_reviews_tail_the_bilstm_reads_is_explained_too(request, which):
    from sentiment_cli.explain import MAX_EXPLAINED_TOKENS

    predictor = Predictor(read_bundle(request.getfixturevalue(f"{which}_model")))
    tail = predictor.encoder.tail_length
    assert tail == 24 - 6  # the tiny models read the first 6 and the last 18 words (a quarter of 24 ahead)
    ending = " ".join(NEGATIVE[i % len(NEGATIVE)] for i in range(tail))
    text = " ".join([FILLER[0]] * 1500) + " " + ending
    explanation = explain(predictor, text)
    assert len(explanation.tokens) == MAX_EXPLAINED_TOKENS + tail
    assert [t.token for t in explanation.tokens[-tail:]] == ending.split()
    assert all(text[t.start : t.end] == t.token for t in explanation.tokens[-tail:])
    assert any(t.weight != 0 for t in explanation.tokens[-tail:])  # weighed: removing one changes what is read
    assert explanation.probability < 0.5  # it is the ending that decides


def test_offsets_slice_the_original_text(tiny_model):
    text = "The PLOT was awful.<br /><br />Acting: don't   ask…  영화 최고"
    explanation = explain(Predictor(read_bundle(tiny_model)), text)
    assert [t.token for t in explanation.tokens] == [
        "the",
        "plot",
        "was",
        "awful",
        "acting",
        "don't",
        "ask",
        "영화",
        "최고",
    ]
    assert all(text[t.start : t.end].lower() == t.token for t in explanation.tokens)


def _logit_knowing_nothing(predictor, text):
    """The model run on one unknown word, its bag holding only the document id (as many as the text's ids)."""
    from sentiment_cli.text import DOCUMENT_ID, UNKNOWN_ID, Encoded

    full = predictor.encoder.encode(text)
    logits = predictor.logits_of([Encoded([UNKNOWN_ID], [DOCUMENT_ID] * len(full.ngram_ids))])
    return logits, full


def _adds_up(e):
    return e.base + sum(t.weight for t in e.tokens) + e.rest


def test_exact_explanations_add_up_to_the_models_logit(tiny_model):
    predictor = Predictor(read_bundle(tiny_model))
    text = f"The {FILLER[1]} was not {NEGATIVE[0]}, the {FILLER[4]} {POSITIVE[1]} and {POSITIVE[2]}."
    e = explain(predictor, text)
    assert e.method == "exact"
    logit = float(predictor.logits_of([predictor.encoder.encode(text)])[0])
    assert e.logit == pytest.approx(logit, abs=1e-5)
    # base is measured independently: the model knowing nothing of the text
    base, _ = _logit_knowing_nothing(predictor, text)
    assert e.base == pytest.approx(float(base[0]), abs=1e-4)
    assert _adds_up(e) == pytest.approx(e.logit, abs=1e-4) and e.rest == 0.0
    assert [t.token for t in e.tokens if t.negated] == [NEGATIVE[0], "the", FILLER[4]]  # the 3 words after "not"
    assert e.phrases and all(text[x.start : x.end] == x.text and " " in x.text for x in e.phrases)


def test_exact_explanations_for_three_classes_explain_the_predicted_class(three_class_model):
    import numpy as np

    predictor = Predictor(read_bundle(three_class_model))
    text = "the plot was okay and the acting fine"
    e = explain(predictor, text)
    logits = predictor.logits_of([predictor.encoder.encode(text)])[0]
    target = int(np.argmax(logits))
    assert e.logit == pytest.approx(float(logits[target] - logits.mean()), abs=1e-5)
    base, _ = _logit_knowing_nothing(predictor, text)
    assert e.base == pytest.approx(float(base[0, target] - base[0].mean()), abs=1e-4)
    assert _adds_up(e) == pytest.approx(e.logit, abs=1e-4)
    assert e.probability == pytest.approx(float(predictor.probabilities([text])[0, target]), abs=1e-6)
    # with character n-grams (on for short texts), several n-grams span the same words: one phrase each span
    assert predictor.bundle.card.model.char_ngrams == "on"
    spans = [(p.start, p.end) for p in e.phrases]
    assert spans and len(set(spans)) == len(spans)
    assert all(" " in text[start:end] for start, end in spans)


def test_occlusion_is_still_available_and_exact_needs_a_bag(tiny_model, tiny_seed_model):
    text = f"the {FILLER[1]} was {NEGATIVE[0]}"
    hybrid = Predictor(read_bundle(tiny_model))
    occluded = explain(hybrid, text, method="occlusion")
    assert occluded.method == "occlusion" and not occluded.phrases
    assert min(occluded.tokens, key=lambda t: t.weight).token == NEGATIVE[0]
    assert _adds_up(occluded) == pytest.approx(occluded.logit, abs=1e-4)
    seed = explain(Predictor(read_bundle(tiny_seed_model)), text)
    assert _adds_up(seed) == pytest.approx(seed.logit, abs=1e-4)
    with pytest.raises(ValueError, match="n-gram bag"):
        explain(Predictor(read_bundle(tiny_seed_model)), text, method="exact")
    assert explain(Predictor(read_bundle(tiny_seed_model)), text).method == "occlusion"


