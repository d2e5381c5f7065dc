"""Text to model inputs: plain Python, shared by training and prediction.

A token is a run of letters or digits (any script), with inner apostrophes kept
("don't", "director's"), an emoticon (``:)``, ``:-(``, ``<3``) or one emoji. Text is
lower-cased and the ``<br />`` tags that fill IMDB reviews are dropped. Models
trained before emoticons and emoji were tokens keep their pattern
(``WORDS_ONLY``), stored in tokenizer.json.

- Word ids (the BiLSTM's input): 0 is padding, 1 the unknown word, 2.. the
  vocabulary in order of frequency in the training texts; the first
  ``max_length`` tokens of a review, or (``head_length``) its first and last tokens.
- N-gram ids (the hybrid model's bag): every distinct 1..order-gram of the
  review hashed with CRC-32 into ``buckets`` ids; 0 is padding and 1 a feature
  every review has (so a review without words still has a well-defined bag).

Two kinds of input unit, chosen per model (``units`` in tokenizer.json):

- ``words`` (English and other languages that separate words with spaces and
  inflect little): the BiLSTM reads words, the bag holds word 1..order-grams.
- ``chars`` (Korean, Japanese, Chinese, Thai...: words carry particles or are not
  separated by spaces, so 영화가 / 영화는 / 영화를 would be three unrelated
  words): the BiLSTM reads characters (a space between words is a character
  too), and the bag also holds character 1..``char_order``-grams of the text
  (across word boundaries, as TF-IDF's ``char`` analyzer does, because spacing
  in informal text is unreliable), beside the word n-grams.
"""

from __future__ import annotations

import functools
import itertools
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from .config import NGRAM_MAX_TOKENS, NGRAM_MIN_COUNT, is_count, window_head

UNITS = ("words", "chars")
PAD_ID = 0
UNKNOWN_ID = 1
UNKNOWN_TOKEN = "[UNK]"
TOKENIZER_FORMAT = 1
SEQUENCE_FORMAT = 2
"""Tokenizer files of format 2 may have the BiLSTM read negation-marked words (key ``negation_scope``) and the
head and tail of a long review (key ``head_length``): a version that knows only format 1 would read the first
words unmarked, so it refuses them."""
CLAUSES_FORMAT = 3
"""Tokenizer files of format 3 may end a negation's scope at punctuation (key ``negation_ends``) and make the
bag's n-grams of every length of negation-marked words (key ``ngrams.negated``): a version that knows only
formats 1 and 2 would mark other words."""
TOKENIZER_FORMATS = (TOKENIZER_FORMAT, SEQUENCE_FORMAT, CLAUSES_FORMAT)
NEGATION_ENDS = ("scope", "punctuation")
"""Where a negation's scope ends: after ``negation_scope`` words, at a contrast word (but, yet) or a new
negator (``scope``), or also at punctuation (``punctuation``)."""

WORDS_ONLY = r"[^\W_]+(?:['’][^\W_]+)*"
"""The first tokenizer: runs of letters and digits (models trained before emoji and emoticons were tokens)."""
_EMOTICON = (
    r"(?:(?<![^\s(\[])[:;=][-'^o]?[)(\]\[dpDP|*3><}{@$](?![^\s)\].,!?])"  # :) ;-( =D :P
    r"|(?<![^\s])[)(\]\[][-'^]?[:;=](?![^\s.,!?])"  # (: )-:
    r"|<3+|\^_*\^|(?<!\w)[xX]D+(?!\w))"  # <3 ^_^ xD
)
_EMOJI = (
    "[\u2190-\u21ff\u2300-\u23ff\u2600-\u27bf\u2b50\u2b55\u203c\u2049\U0001f000-\U0001faff]"
    "[\ufe0f\U0001f3fb-\U0001f3ff]*"
)
_LINK = r"(?:https?://|www\.)[^\s<>\"]+|@\w+"
WORDS_AND_EMOJI = f"{_LINK}|{_EMOTICON}|{_EMOJI}|{WORDS_ONLY}"
"""The current tokenizer: emoticons (``:)``, ``:-(``, ``<3``) and emoji are tokens too, one per emoji; a web
address is the one token ``<url>`` and a mention (``@name``) the one token ``@user``, as in tweets."""
PATTERNS = (WORDS_ONLY, WORDS_AND_EMOJI)
"""The token patterns a model may name (a pattern read from a file must be one of these)."""
_compiled = functools.cache(re.compile)
"""Patterns are compiled on first use: the emoji and script classes cost milliseconds at every start."""
CURRENT_PATTERN = WORDS_AND_EMOJI
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


class Token(NamedTuple):
    text: str
    start: int
    end: int


def _token(match: re.Match[str]) -> str:
    token = match.group().lower()
    if token[0] in "@hw":  # cheap test first: most tokens are plain words
        if token[0] == "@" and len(token) > 1 and (token[1].isalnum() or token[1] == "_"):
            return "@user"
        if token.startswith(("http://", "https://", "www.")):
            return "<url>"
    return token


class ClauseStart(str):
    """A token with punctuation (``. , ; : ! ?``) between it and the token before: a negation's scope ends
    before it ("not terrible, it's wonderful": ¬terrible, it's, wonderful). It is the plain string for every
    other use (a vocabulary entry, an n-gram's hash); tokenizing marks them only when asked (``clauses``)."""

    __slots__ = ()


_CLAUSE_END = r"(?P<clause_end>[.,;:!?](?!\w))"
"""Punctuation that ends a clause: not a decimal point or a thousands separator (10.5, 10,000), not U.S. It
is tried after the token pattern, so a mark that starts a token (an emoticon's colon) stays in the token."""


@functools.cache
def _with_clause_ends(pattern: str) -> re.Pattern[str]:
    return re.compile(f"{pattern}|{_CLAUSE_END}")


def _clause_tokens(text: str, pattern: str) -> Iterator[tuple[str, re.Match[str]]]:
    """Each token's text and match, a :class:`ClauseStart` when punctuation separates it from the token
    before (one pass of the token pattern with clause-ending punctuation as one more alternative).
    :func:`iter_tokens` has the same loop inline: a generator in between costs it a third more time."""
    seen = after = False
    for match in _with_clause_ends(pattern).finditer(text):
        if match.lastgroup:  # clause_end: the token pattern has no named group
            after = seen
            continue
        token = _token(match)
        if after:
            token, after = ClauseStart(token), False
        seen = True
        yield token, match


def iter_tokens(text: str, pattern: str = CURRENT_PATTERN, clauses: bool = False) -> Iterator[str]:
    """Lower-cased tokens of ``text``, lazily (a caller that needs the first N stops early). ``clauses``: a
    token after punctuation is a :class:`ClauseStart` (as :func:`_clause_tokens` finds them)."""
    cleaned = _BREAK.sub(" ", text)
    if not clauses:
        for match in _compiled(pattern).finditer(cleaned):
            yield _token(match)
        return
    seen = after = False
    for match in _with_clause_ends(pattern).finditer(cleaned):
        if match.lastgroup:
            after = seen
            continue
        token = _token(match)
        if after:
            token, after = ClauseStart(token), False
        seen = True
        yield token


def tokenize(text: str, pattern: str = CURRENT_PATTERN, clauses: bool = False) -> list[str]:
    """Split ``text`` into lower-cased tokens (``clauses``: see :func:`iter_tokens`)."""
    return list(iter_tokens(text, pattern, clauses))


def tokenize_with_offsets(
    text: str, limit: int | None = None, pattern: str = CURRENT_PATTERN, clauses: bool = False
) -> list[Token]:
    """The first ``limit`` tokens (all by default) with their character offsets into ``text``.

    The ``<br />`` substitution keeps the length of the text (it pads with
    spaces), so offsets index the original string.
    """
    cleaned = _BREAK.sub(lambda m: " " * len(m.group()), text)
    if clauses:
        found = itertools.islice(_clause_tokens(cleaned, pattern), limit)
        return [Token(token, m.start(), m.end()) for token, m in found]
    matches = itertools.islice(_compiled(pattern).finditer(cleaned), limit)
    return [Token(_token(m), m.start(), m.end()) for m in matches]


def without(tokens: list[str], position: int) -> list[str]:
    """``tokens`` less the one at ``position``; the clause break it started moves to the token after it."""
    rest = tokens[:position] + tokens[position + 1 :]
    if isinstance(tokens[position], ClauseStart) and position < len(rest) and type(rest[position]) is str:
        rest[position] = ClauseStart(rest[position])
    return rest


class Vocabulary:
    """Maps tokens to ids. ``tokens[0]`` is the unknown token (id 1)."""

    def __init__(self, tokens: list[str], pattern: str = CURRENT_PATTERN) -> None:
        if pattern not in PATTERNS:
            raise ValueError("tokenizer written by an incompatible version of sentiment-cli (unknown token pattern)")
        self.pattern = pattern
        if not tokens or tokens[0] != UNKNOWN_TOKEN:
            raise ValueError(f"the first vocabulary entry must be {UNKNOWN_TOKEN!r}")
        self.tokens = list(tokens)
        self._ids = dict(zip(self.tokens, range(1, len(self.tokens) + 1), strict=True))
        if len(self._ids) != len(self.tokens):
            raise ValueError("vocabulary entries must be unique")

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def input_dim(self) -> int:
        """Rows the embedding needs: every entry plus the padding id."""
        return len(self.tokens) + 1

    @classmethod
    def from_tokens(cls, token_lists: Iterable[list[str]], size: int, pattern: str = CURRENT_PATTERN) -> Vocabulary:
        counts: Counter[str] = Counter()
        for tokens in token_lists:
            counts.update(tokens)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return cls([UNKNOWN_TOKEN] + [token for token, _ in ranked[: size - 1]], pattern)

    def ids(self, tokens: Iterable[str]) -> list[int]:
        get = self._ids.get
        return [get(token, UNKNOWN_ID) for token in tokens]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": TOKENIZER_FORMAT,
            "lowercase": True,
            "pattern": self.pattern,
            "padding_id": PAD_ID,
            "unknown_id": UNKNOWN_ID,
            "tokens": self.tokens,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocabulary:
        if data.get("format") not in TOKENIZER_FORMATS or data.get("pattern") not in PATTERNS:
            raise ValueError("tokenizer written by an incompatible version of sentiment-cli")
        tokens = data.get("tokens")
        if not isinstance(tokens, list) or not set(map(type, tokens)) <= {str}:
            raise ValueError("tokenizer 'tokens' must be a list of strings")
        return cls(tokens, data["pattern"])


_UNSPACED = (
    "[\u3040-\u30ff\u31f0-\u31ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]"  # Thai, Lao, Myanmar, Khmer
)
"""Scripts written without spaces between words."""
_HANGUL = "[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]"
"""Korean: spaces between words, but particles and endings attached to them (영화가, 영화는, 영화를)."""
_LETTER = r"[^\W\d_]"


class Scripts(NamedTuple):
    """Shares of the letters of a sample of texts in scripts that need more than word tokens."""

    unspaced: float
    hangul: float

    @property
    def units(self) -> str:
        """``chars`` for scripts without spaces (a "word" would be a whole clause), else ``words``."""
        return "chars" if self.unspaced > 0.3 else "words"

    @property
    def needs_char_ngrams(self) -> bool:
        """Character n-grams find the stems inside words: for unspaced scripts and Korean."""
        return self.unspaced + self.hangul > 0.3


def scripts_of(texts: Iterable[str], sample: int = 2000) -> Scripts:
    """How the letters of the first ``sample`` texts (their first 2,000 characters) divide among scripts."""
    letters = unspaced = hangul = 0
    for text in itertools.islice(texts, sample):
        text = text[:2000]
        letters += len(_compiled(_LETTER).findall(text))
        unspaced += len(_compiled(_UNSPACED).findall(text))
        hangul += len(_compiled(_HANGUL).findall(text))
    return Scripts(unspaced / letters, hangul / letters) if letters else Scripts(0.0, 0.0)


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


NGRAM_HASH = "crc32-splitmix64"
CHAR_PREFIX = "\x01"
"""Characters are hashed as this prefix plus the character, so a one-character word and the
character itself are different features (tokens never contain control characters)."""
DOCUMENT_ID = 1
"""The n-gram id present in every review."""
FIRST_NGRAM_ID = 2

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_STEP = np.uint64(0x9E3779B97F4A7C15)
_NO_KEYS = np.zeros(0, dtype=np.uint32)


def _mix(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer, element-wise on uint64 (multiplication wraps, as intended)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX2
    return x ^ (x >> np.uint64(31))


def ngram_keys(tokens: list[str], order: int, unigrams: list[str] | None = None) -> np.ndarray:
    """Sorted distinct 32-bit keys of every 1..``order``-gram of ``tokens``.

    A token's hash is its UTF-8 CRC-32; an n-gram's 64-bit hash chains its tokens' hashes through
    splitmix64, computed for all positions at once with NumPy; the key is its upper 32 bits.
    ``unigrams``, when given, stand in for the tokens as 1-grams (negation-marked words).
    """
    if not tokens:
        return _NO_KEYS
    return _distinct(np.concatenate(ngram_keys_by_position(tokens, order, unigrams)))


def _distinct(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values, as ``np.unique`` (which imports ``numpy.ma``: 20-60 ms of start-up)."""
    keys = np.sort(keys)
    if keys.size > 1:
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
    return keys


def ngram_keys_by_position(tokens: list[str], order: int, unigrams: list[str] | None = None) -> list[np.ndarray]:
    """The keys of :func:`ngram_keys` before deduplication: item ``n - 1`` holds the key of the ``n``-gram
    starting at each position (so ``len(tokens) - n + 1`` of them)."""
    if not tokens:
        return [_NO_KEYS]
    crc32 = zlib.crc32
    token_hashes = np.fromiter((crc32(t.encode("utf-8")) for t in tokens), dtype=np.uint64, count=len(tokens))
    chained = _mix(token_hashes)
    if unigrams is None or unigrams == tokens:
        parts = [chained]
    else:
        marked = np.fromiter((crc32(t.encode("utf-8")) for t in unigrams), dtype=np.uint64, count=len(unigrams))
        parts = [_mix(marked)]
    for n in range(2, min(order, len(tokens)) + 1):
        chained = _mix(chained[:-1] * _STEP + token_hashes[n - 1 :])
        parts.append(chained)
    return [(part >> np.uint64(32)).astype(np.uint32) for part in parts]


NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "neither",
        "nor",
        "nowhere",
        "without",
        "cannot",
        "hardly",
        "barely",
        "scarcely",
    ]
)
"""Words that open a negation scope (so does any word ending in n't)."""
SCOPE_BREAKERS = frozenset(["but", "yet", "however", "though", "although", "except"])
"""Words that close a negation scope early ("not great, but fun")."""
NEGATED = "¬"
"""Prefix of a word inside a negation scope, in the bag's 1-grams: "not bad" has the 1-gram ¬bad, not bad."""


def mark_negation(tokens: list[str], scope: int) -> list[str]:
    """The tokens with the (at most ``scope``) words after a negator prefixed ``¬`` (Das & Chen, 2001; Pang et
    al., 2002): "i didn't love it" → i, didn't, ¬love, ¬it. A scope ends early at a contrast word (but, yet...),
    a new negator, or a :class:`ClauseStart` (a token after punctuation, when the tokens were split so). The
    bag's 1-grams are marked; so are the BiLSTM's words in models whose tokenizer says so."""
    if scope <= 0:
        return tokens
    marked = []
    left = 0
    for token in tokens:
        if left and isinstance(token, ClauseStart):
            left = 0
        if token in NEGATORS or token.endswith(("n't", "n’t")):
            left = scope
            marked.append(token)
        elif token in SCOPE_BREAKERS:
            left = 0
            marked.append(token)
        elif left:
            left -= 1
            marked.append(NEGATED + token)
        else:
            marked.append(token)
    return marked


class NgramTable:
    """The n-grams the hybrid model knows, stored as their sorted CRC-32 keys (a plain ``.npy`` array).

    An n-gram's id is its key's position plus 2; 0 is padding and 1 is present in every review.
    Storing keys instead of strings keeps the table to 4 bytes an n-gram.
    """

    def __init__(
        self,
        keys: np.ndarray,
        order: int,
        max_tokens: int = NGRAM_MAX_TOKENS,
        char_order: int = 0,
        negation_scope: int = 0,
        negated_ngrams: bool = False,
    ) -> None:
        """``negated_ngrams``: the n-grams of every length are made of the negation-marked words ("not a
        waste" has the 2-grams not ¬a and ¬a ¬waste, not "a waste"); otherwise only the 1-grams are."""
        keys = np.asarray(keys, dtype=np.uint32)
        if keys.ndim != 1 or (keys.size > 1 and not np.all(keys[1:] > keys[:-1])):
            raise ValueError("n-gram keys must be a sorted array of distinct uint32")
        self.keys, self.order, self.max_tokens, self.char_order = keys, order, max_tokens, char_order
        self.negation_scope, self.negated_ngrams = negation_scope, negated_ngrams and negation_scope > 0

    def __len__(self) -> int:
        return int(self.keys.size)

    @property
    def input_dim(self) -> int:
        return len(self) + FIRST_NGRAM_ID

    @classmethod
    def build(
        cls,
        token_lists: Iterable[list[str]],
        order: int,
        size: int,
        min_count: int = NGRAM_MIN_COUNT,
        max_tokens: int = NGRAM_MAX_TOKENS,
        char_order: int = 0,
        negation_scope: int = 0,
        negated_ngrams: bool = False,
    ) -> NgramTable:
        """The ``size`` n-grams found in the most reviews (at least ``min_count``; ties by key)."""
        features = cls(_NO_KEYS, order, max_tokens, char_order, negation_scope, negated_ngrams).features
        keys, counts = np.unique(np.concatenate([_NO_KEYS, *map(features, token_lists)]), return_counts=True)
        keep = counts >= min_count
        keys, counts = keys[keep], counts[keep]
        ranked = np.lexsort((keys, -counts))[:size]  # by count descending, then key
        return cls(np.sort(keys[ranked]), order, max_tokens, char_order, negation_scope, negated_ngrams)

    def features(self, tokens: list[str], marked: list[str] | None = None) -> np.ndarray:
        """Sorted distinct keys of a review's word n-grams (and character n-grams when ``char_order``).
        ``marked``: the tokens already negation-marked with this table's scope (computed here otherwise)."""
        tokens = tokens[: self.max_tokens]
        marked = mark_negation(tokens, self.negation_scope) if marked is None else marked[: self.max_tokens]
        keys = ngram_keys(marked, self.order) if self.negated_ngrams else ngram_keys(tokens, self.order, marked)
        if self.char_order:
            chars = [CHAR_PREFIX + c for c in " ".join(tokens)]
            keys = _distinct(np.concatenate([keys, ngram_keys(chars, self.char_order)]))
        return keys

    def occurrences(self, tokens: list[str]) -> list[tuple[int, list[int]]]:
        """Where each n-gram the table knows occurs: ``(id, token positions)`` for every occurrence, in the
        order of :meth:`features` (word n-grams by length and position, then character n-grams). A character
        n-gram's positions are the tokens its characters belong to (none for the space between words)."""
        tokens = tokens[: self.max_tokens]
        found: list[tuple[int, list[int]]] = []
        if not tokens or not self.keys.size:
            return found
        marked = mark_negation(tokens, self.negation_scope)
        if self.negated_ngrams:
            by_length = ngram_keys_by_position(marked, self.order)
        else:
            by_length = ngram_keys_by_position(tokens, self.order, marked)
        spans = [(keys, [list(range(p, p + n)) for p in range(len(keys))]) for n, keys in enumerate(by_length, 1)]
        if self.char_order:
            chars, owner = [], []
            for i, token in enumerate(tokens):
                if i:
                    chars.append(CHAR_PREFIX + " ")
                    owner.append(-1)
                chars.extend(CHAR_PREFIX + c for c in token)
                owner.extend([i] * len(token))
            for n, keys in enumerate(ngram_keys_by_position(chars, self.char_order), 1):
                positions = [sorted({owner[q] for q in range(p, p + n)} - {-1}) for p in range(len(keys))]
                spans.append((keys, positions))
        for keys, positions in spans:
            where = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
            hit = self.keys[where] == keys
            found.extend((int(w) + FIRST_NGRAM_ID, positions[p]) for p, w in enumerate(where) if hit[p])
        return found

    def ids(self, tokens: list[str], marked: list[str] | None = None) -> list[int]:
        keys = self.features(tokens, marked)
        if not self.keys.size:
            return [DOCUMENT_ID]
        where = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
        found = where[self.keys[where] == keys]  # sorted, since both arrays are
        return [DOCUMENT_ID, *(found + FIRST_NGRAM_ID).tolist()]

    def settings(self) -> dict[str, Any]:
        settings = {"hash": NGRAM_HASH, "order": self.order, "count": len(self), "max_tokens": self.max_tokens}
        if self.char_order:
            settings["char_order"] = self.char_order
        if self.negation_scope:
            settings["negation_scope"] = self.negation_scope
        if self.negated_ngrams:
            settings["negated"] = "ngrams"
        return settings

    @classmethod
    def from_settings(cls, settings: dict[str, Any], keys: np.ndarray) -> NgramTable:
        if settings.get("hash") != NGRAM_HASH:
            raise ValueError(f"unknown n-gram hash {settings.get('hash')!r}")
        if int(settings["count"]) != len(keys):
            raise ValueError(f"expected {settings['count']} n-gram keys, found {len(keys)}")
        negated = settings.get("negated", "unigrams")
        if negated not in ("unigrams", "ngrams"):
            raise ValueError(f"n-gram setting 'negated' must be 'unigrams' or 'ngrams', got {negated!r}")
        scope = int(settings.get("negation_scope", 0))
        if negated == "ngrams" and not scope:
            raise ValueError("n-grams of negation-marked words need a negation_scope")
        return cls(
            keys,
            int(settings["order"]),
            int(settings["max_tokens"]),
            int(settings.get("char_order", 0)),
            scope,
            negated == "ngrams",
        )


class Encoded(NamedTuple):
    token_ids: list[int]
    ngram_ids: list[int] | None = None
    readable: bool = True
    """Whether the model knows anything in the review: a word (or character) of its vocabulary or an
    n-gram of its table, word separators aside. Without one it would be classified from the padding."""


def units_of(tokens: list[str], units: str) -> list[str]:
    """The BiLSTM's input units of a review's tokens: the words, or the characters of the words
    joined by single spaces."""
    return tokens if units == "words" else list(" ".join(tokens))


class Encoder:
    """Turns a review into the model's inputs: unit ids (words or characters), and n-gram ids for
    the hybrid model."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        max_length: int,
        ngrams: NgramTable | None = None,
        units: str = "words",
        negation_scope: int = 0,
        head_length: int | None = None,
        clauses: bool = False,
    ) -> None:
        """``negation_scope``: the BiLSTM reads the words after a negator marked (:func:`mark_negation`), as
        the bag's 1-grams are; words only (a character is not negated).

        ``clauses``: a negation's scope also ends at punctuation (reviews are split with ``clauses``, so a
        token after punctuation is a :class:`ClauseStart`); words only.

        ``head_length``: of a review longer than ``max_length`` units, the BiLSTM reads the first
        ``head_length`` and the last ``max_length - head_length`` of its first ``NGRAM_MAX_TOKENS`` tokens (a
        review's verdict is often at its end); ``None`` (or ``max_length`` or more): the first ``max_length``,
        as models from before this do."""
        if units not in UNITS:
            raise ValueError(f"units must be one of {', '.join(UNITS)}, got {units!r}")
        if negation_scope < 0 or (negation_scope and units != "words"):
            raise ValueError(f"negation_scope {negation_scope!r}: a count of words, for word units only")
        if head_length is not None and head_length < 0:
            raise ValueError(f"head_length must be 0 or more, got {head_length!r}")
        if clauses and units != "words":
            raise ValueError("a negation's scope ends at punctuation for word units only")
        self.clauses = clauses
        self.vocabulary = vocabulary
        self.max_length = max_length
        self.ngrams = ngrams
        self.units = units
        self.negation_scope = negation_scope
        self.head_length = window_head(max_length, head_length)

    @property
    def pattern(self) -> str:
        """The token pattern this model was trained with."""
        return self.vocabulary.pattern

    @property
    def input_names(self) -> tuple[str, ...]:
        return ("token_ids",) if self.ngrams is None else ("token_ids", "ngram_ids")

    @property
    def tail_length(self) -> int:
        """Units the BiLSTM reads from the end of a long review (0: it reads the first ``max_length``)."""
        return 0 if self.head_length is None else self.max_length - self.head_length

    @property
    def tokens_needed(self) -> int:
        """Tokens read from a review: the BiLSTM's first ``max_length`` (or, with a tail to read, the first
        ``NGRAM_MAX_TOKENS``, as the bag does)."""
        read = self.max_length if self.head_length is None else NGRAM_MAX_TOKENS
        return read if self.ngrams is None else max(read, self.ngrams.max_tokens)

    def encode(self, text: str) -> Encoded:
        tokens = iter_tokens(text, self.pattern, self.clauses)
        return self.encode_tokens(list(itertools.islice(tokens, self.tokens_needed)))

    def encode_tokens(self, tokens: list[str]) -> Encoded:
        tokens = tokens[: self.tokens_needed]  # as :meth:`encode` reads them, so training sees what prediction does
        marked = None
        if self.units == "chars":
            text = " ".join(tokens if self.head_length is not None else tokens[: self.max_length])
            word_ids = self.vocabulary.ids(self._window(text))
        else:  # marked as in the whole review read, so a tail starting inside a negation's scope is marked
            marked = mark_negation(tokens, self.negation_scope)
            word_ids = self.vocabulary.ids(self._window(marked))
        same_marks = self.ngrams is not None and self.ngrams.negation_scope == self.negation_scope
        ngram_ids = None if self.ngrams is None else self.ngrams.ids(tokens, marked if same_marks else None)
        return Encoded(word_ids, ngram_ids, self._knows(tokens, word_ids, ngram_ids))

    def _window(self, units: Sequence[str]) -> Sequence[str]:
        """The units the BiLSTM reads: the first ``max_length``, or the head and the tail."""
        if self.head_length is None or len(units) <= self.max_length:
            return units[: self.max_length]
        return units[: self.head_length] + units[len(units) - (self.max_length - self.head_length) :]

    def _knows(self, tokens: list[str], word_ids: list[int], ngram_ids: list[int] | None) -> bool:
        space = self.vocabulary.ids([" "])[0] if self.units == "chars" else UNKNOWN_ID
        if any(i > UNKNOWN_ID and i != space for i in word_ids):
            return True  # a known word, or a known character other than the space between words
        if self.ngrams is None or len(ngram_ids or ()) <= 1:
            return False
        if not self.ngrams.char_order or len(tokens) < 2:
            return True
        # the space between two unknown words is a known character n-gram, and says nothing
        return len(self.ngrams.ids(["".join(tokens)])) > 1

    def encode_many(self, texts: Iterable[str]) -> list[Encoded]:
        return [self.encode(text) for text in texts]

    def encode_token_lists(self, token_lists: Iterable[list[str]]) -> list[Encoded]:
        return [self.encode_tokens(tokens) for tokens in token_lists]

    def batch(self, items: list[Encoded], rows: int | None = None, length: int | None = None) -> dict[str, np.ndarray]:
        """Padded input arrays by input name; ``length`` fixes the word axis (default: longest)."""
        arrays = {"token_ids": pad([e.token_ids for e in items], length, rows)}
        if self.ngrams is not None:
            arrays["ngram_ids"] = pad([e.ngram_ids or [] for e in items], None, rows)
        return arrays

    def to_dict(self) -> dict[str, Any]:
        """Everything but the n-gram keys, which are stored as a ``.npy`` array beside it."""
        data = self.vocabulary.to_dict()  # max_length lives in the model card (its model settings), once
        if self.units != "words":
            data["units"] = self.units
        if self.negation_scope:
            data |= {"format": SEQUENCE_FORMAT, "negation_scope": self.negation_scope}
        if self.head_length is not None:
            data |= {"format": SEQUENCE_FORMAT, "head_length": self.head_length}
        if self.clauses:
            data |= {"format": CLAUSES_FORMAT, "negation_ends": "punctuation"}
        if self.ngrams is not None:
            data["ngrams"] = self.ngrams.settings()
            if self.ngrams.negated_ngrams:
                data["format"] = CLAUSES_FORMAT
        return data

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], ngram_keys: np.ndarray | None = None, max_length: int | None = None
    ) -> Encoder:
        """``max_length``: the card's (tokenizer files written before version 0.2 carry their own, which wins)."""
        ngrams = None
        if data.get("ngrams"):
            if ngram_keys is None:
                raise ValueError("the tokenizer needs its n-gram table")
            ngrams = NgramTable.from_settings(data["ngrams"], ngram_keys)
        length = data.get("max_length", max_length)
        if length is None:
            raise ValueError("no max_length: in neither the tokenizer nor the model card")
        scope, head = data.get("negation_scope", 0), data.get("head_length")
        if data.get("format") == TOKENIZER_FORMAT and (scope or head is not None):
            raise ValueError("negation_scope and head_length need tokenizer format 2")
        ends = data.get("negation_ends", "scope")
        if ends not in NEGATION_ENDS:
            raise ValueError(f"negation_ends must be one of {', '.join(NEGATION_ENDS)}, got {ends!r}")
        newer = (ngrams is not None and ngrams.negated_ngrams) or ends != "scope"
        if newer and data.get("format") != CLAUSES_FORMAT:
            raise ValueError(f"negation_ends and negation-marked n-grams need tokenizer format {CLAUSES_FORMAT}")
        for name, value, least in (("max_length", length, 1), ("negation_scope", scope, 0), ("head_length", head, 0)):
            if (name != "head_length" or value is not None) and not is_count(value, least):
                raise ValueError(f"{name} must be an integer of at least {least}, got {value!r}")
        units = str(data.get("units", "words"))
        return cls(Vocabulary.from_dict(data), length, ngrams, units, scope, head, ends == "punctuation")
