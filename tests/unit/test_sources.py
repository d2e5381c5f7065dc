"""Where training data came from: --data-sources, checked before any work and kept in the card."""

from __future__ import annotations

import pytest

from sentiment_cli.bundle import check_sources
from sentiment_cli.errors import DataError


def test_sources_keep_their_known_keys_in_order():
    entry = {"rows": 3, "licence": "CC0", "name": "reviews", "sha256": "ab" * 32}
    assert check_sources([entry]) == [{"name": "reviews", "sha256": "ab" * 32, "licence": "CC0", "rows": 3}]


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ([], "a list of 1 to 100"),
        ({"name": "x"}, "a list of 1 to 100"),
        ([{"file": "x"}], "source 1: an object with a 'name'"),
        ([{"name": "a"}, {"name": "b", "rows": -1}], "source 2: 'rows' must be a count"),
        ([{"name": "a", "rows": True}], "'rows' must be a count"),
        ([{"name": "a", "licence": 4}], "'licence' must be text"),
        ([{"name": "a", "secret": "x"}], "unknown key 'secret'"),
        ([{"name": "a"}] * 101, "a list of 1 to 100"),
    ],
)
def test_bad_sources_are_named(sources, message):
    with pytest.raises(DataError, match=message):
        check_sources(sources)


