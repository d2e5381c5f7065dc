"""The Python API's notebook session in docs/python-api.md runs as written (doctest), on the shipped model."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "python-api.md"


def test_the_python_api_page_runs_as_written():
    pytest.importorskip("pandas")
    failures, tried = doctest.testfile(
        str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert tried >= 10 and failures == 0
