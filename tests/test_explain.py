"""Per-word explanations (occlusion on the LiteRT path)."""

import json

import pytest
from typer.testing import CliRunner

from conftest import FILLER, NEGATIVE, POSITIVE
from sentiment_cli.bundle import read_bundle
from sentiment_cli.cli import app
from sentiment_cli.explain import explain
from sentiment_cli.runtime import Predictor

runner = CliRunner()


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


def test_predict_explain_jsonl_and_table(tiny_model, tmp_path):
    text = f"the {FILLER[1]} was {NEGATIVE[0]}"
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), "--explain", "-", "-f", "jsonl"], input=text)
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert [t["token"] for t in record["explanation"]] == ["the", FILLER[1], "was", NEGATIVE[0]]
    assert all(text[t["start"] : t["end"]] == t["token"] for t in record["explanation"])
    assert min(record["explanation"], key=lambda t: t["weight"])["token"] == NEGATIVE[0]

    table = runner.invoke(app, ["predict", "-m", str(tiny_model), "--explain", "-", "-f", "table"], input=text)
    assert table.exit_code == 0
    assert "<stdin>:1  negative" in table.stdout and text in table.stdout
    assert f"toward negative: {NEGATIVE[0]} (-" in table.stdout

    csv = runner.invoke(app, ["predict", "-m", str(tiny_model), "--explain", "-", "-f", "csv"], input=text)
    assert csv.exit_code == 2
