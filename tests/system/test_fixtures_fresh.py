"""The committed model fixtures (tests/data/) are what the current code trains: retrain each into tmp_path with
tests/make_fixtures.py's recipe and compare what the model format is made of. When this fails, the format or the
recipe changed: run ``python tests/make_fixtures.py`` and commit tests/data/."""

import json

import pytest
from ai_edge_litert.interpreter import Interpreter
from make_fixtures import FIXTURES as RECIPES
from make_fixtures import train_fixture

from conftest import FIXTURES


@pytest.mark.slow  # trains three tiny models with TensorFlow (about a minute)
@pytest.mark.parametrize("name", sorted(RECIPES))
def test_the_committed_fixture_is_what_training_makes_now(name, tmp_path):
    fresh = train_fixture(name, tmp_path / name)
    committed = FIXTURES / name
    card, fresh_card = (json.loads((f / "card.json").read_text(encoding="utf-8")) for f in (committed, fresh))
    for section in ("format_version", "labels", "model", "litert"):
        assert fresh_card[section] == card[section], f"{name}: the card's {section} changed: rebuild the fixtures"
    assert sorted(fresh_card["files"]) == sorted(card["files"])
    tokenizer, fresh_tokenizer = (json.loads((f / "tokenizer.json").read_bytes()) for f in (committed, fresh))
    assert fresh_tokenizer == tokenizer, f"{name}: the tokenizer changed: rebuild the fixtures"
    signatures = [Interpreter(str(f / "model.tflite")).get_signature_list() for f in (committed, fresh)]
    assert signatures[1] == signatures[0], f"{name}: the flatbuffer's signatures changed: rebuild the fixtures"
