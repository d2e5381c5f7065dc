"""``sentiment predict --explain`` through Typer's CliRunner: JSON Lines, the table, and phrases
(the explanations themselves: tests/unit/test_explain.py)."""

import json

import pytest

from conftest import FILLER, NEGATIVE, runner
from sentiment_cli.cli import app


def test_predict_explain_jsonl_and_table(tiny_model, tmp_path):
    text = f"the {FILLER[1]} was {NEGATIVE[0]}"
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), "--explain", "-", "-f", "jsonl"], input=text)
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert [t["token"] for t in record["explanation"]] == ["the", FILLER[1], "was", NEGATIVE[0]]
    assert all(text[t["start"] : t["end"]] == t["token"] for t in record["explanation"])
    assert min(record["explanation"], key=lambda t: t["weight"])["token"] == NEGATIVE[0]
    added = record["explanation_base"] + sum(t["weight"] for t in record["explanation"]) + record["explanation_rest"]
    assert added == pytest.approx(record["explanation_logit"], abs=1e-4)  # the weights add up, in the output too
    assert [t["negated"] for t in record["explanation"]] == [False, False, False, False]

    table = runner.invoke(app, ["predict", "-m", str(tiny_model), "--explain", "-", "-f", "table"], input=text)
    assert table.exit_code == 0
    assert "<stdin>:1  negative" in table.stdout and text in table.stdout
    assert f"toward negative: {NEGATIVE[0]} (-" in table.stdout
    total = f"log-odds {record['explanation_logit']:+.3f} = base {record['explanation_base']:+.3f} + words"
    assert total in table.stdout

    csv = runner.invoke(app, ["predict", "-m", str(tiny_model), "--explain", "-", "-f", "csv"], input=text)
    assert csv.exit_code == 2


def test_predict_explain_jsonl_lists_phrases(tiny_model):
    text = f"the {FILLER[1]} was {NEGATIVE[0]} and {NEGATIVE[1]}"
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), "--explain", "-", "-f", "jsonl"], input=text)
    record = json.loads(result.stdout)
    assert record["phrases"] and all(text[x["start"] : x["end"]] == x["text"] for x in record["phrases"])
