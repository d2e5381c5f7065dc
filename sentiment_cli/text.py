"""Tokenizer and vocabulary: plain Python, shared by training and prediction.

A token is a run of letters or digits (any script), with inner apostrophes kept
("don't", "director's"). Text is lower-cased and the ``<br />`` tags that fill
IMDB reviews are dropped. Ids: 0 is padding, 1 is the unknown word, 2.. the
vocabulary in order of frequency in the training texts.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

PAD_ID = 0
UNKNOWN_ID = 1
UNKNOWN_TOKEN = "[UNK]"
TOKENIZER_FORMAT = 1

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int


def iter_tokens(text: str) -> Iterator[str]:
    """Lower-cased word tokens of ``text``, lazily (a caller that needs the first N stops early)."""
    for match in _TOKEN.finditer(_BREAK.sub(" ", text)):
        yield match.group().lower()


def tokenize(text: str) -> list[str]:
    """Split ``text`` into lower-cased word tokens."""
    return list(iter_tokens(text))


def tokenize_with_offsets(text: str) -> list[Token]:
    """Tokens with their character offsets into ``text``.

    The ``<br />`` substitution keeps the length of the text (it pads with
    spaces), so offsets index the original string.
    """
    cleaned = _BREAK.sub(lambda m: " " * len(m.group()), text)
    return [Token(m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(cleaned)]


class Vocabulary:
    """Maps tokens to ids. ``tokens[0]`` is the unknown token (id 1)."""

    def __init__(self, tokens: list[str]) -> None:
        if not tokens or tokens[0] != UNKNOWN_TOKEN:
            raise ValueError(f"the first vocabulary entry must be {UNKNOWN_TOKEN!r}")
        if len(set(tokens)) != len(tokens):
            raise ValueError("vocabulary entries must be unique")
        self.tokens = list(tokens)
        self._ids = {token: i + 1 for i, token in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def input_dim(self) -> int:
        """Rows the embedding needs: every entry plus the padding id."""
        return len(self.tokens) + 1

    @classmethod
    def build(cls, texts: Iterable[str], size: int) -> Vocabulary:
        """The ``size - 1`` most frequent tokens of ``texts`` (ties in alphabetical order)."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(tokenize(text))
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return cls([UNKNOWN_TOKEN] + [token for token, _ in ranked[: size - 1]])

    def encode(self, text: str, max_length: int | None = None) -> list[int]:
        """Token ids of ``text``, truncated to its first ``max_length`` tokens."""
        tokens = iter_tokens(text)
        if max_length is not None:
            tokens = itertools.islice(tokens, max_length)
        get = self._ids.get
        return [get(token, UNKNOWN_ID) for token in tokens]

    def encode_many(self, texts: Iterable[str], max_length: int | None = None) -> Iterator[list[int]]:
        for text in texts:
            yield self.encode(text, max_length)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": TOKENIZER_FORMAT,
            "lowercase": True,
            "pattern": _TOKEN.pattern,
            "padding_id": PAD_ID,
            "unknown_id": UNKNOWN_ID,
            "tokens": self.tokens,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocabulary:
        if data.get("format") != TOKENIZER_FORMAT or data.get("pattern") != _TOKEN.pattern:
            raise ValueError("tokenizer written by an incompatible version of sentiment-cli")
        tokens = data.get("tokens")
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ValueError("tokenizer 'tokens' must be a list of strings")
        return cls(tokens)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Vocabulary:
        return cls.from_dict(json.loads(text))


def pad(sequences: list[list[int]], length: int | None = None, rows: int | None = None) -> np.ndarray:
    """Right-pad id lists into an int32 matrix of ``rows`` x ``length``.

    ``length`` defaults to the longest sequence (at least 1 column); ``rows`` to the
    number of sequences (extra rows are all padding).
    """
    width = max(1, length if length is not None else max((len(s) for s in sequences), default=0))
    matrix = np.full((rows if rows is not None else len(sequences), width), PAD_ID, dtype=np.int32)
    for row, ids in enumerate(sequences):
        ids = ids[:width]
        matrix[row, : len(ids)] = ids
    return matrix
