"""The committed model fixtures (tests/data/, made by tests/make_fixtures.py) are model directories the bundle
verifies for every purpose, small, and free of the paths of the machine that trained them."""

import json

import pytest
from make_fixtures import FIXTURES as RECIPES

from conftest import FIXTURES
from sentiment_cli.bundle import PURPOSES, read_bundle


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_each_committed_fixture_verifies_and_is_small(name):
    folder = FIXTURES / name
    for purpose in PURPOSES:
        bundle = read_bundle(folder, purpose=purpose)
        assert {*bundle.card.files, "card.json"} == {path.name for path in folder.iterdir()}
    assert sum(path.stat().st_size for path in folder.iterdir()) < 400_000
    card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
    assert card["command"][:3] == ["sentiment", "train", card["data"]["source"]]
    assert "/tmp" not in json.dumps(card) and not any(part.startswith("/") for part in card["command"])
