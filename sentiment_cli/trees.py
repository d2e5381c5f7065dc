"""Sentiment trees in the Stanford Sentiment Treebank's format: one bracketed tree per line.

Every node is ``(LABEL CHILD...)`` and every leaf ``(LABEL WORD)``; the label is the node's sentiment (SST:
0 very negative ... 2 neutral ... 4 very positive) and the root's is the sentence's. Training on every
labelled phrase (``phrases``), not only on sentences, is what teaches a model that "not bad" is not "bad".

Words come tokenized as the Penn Treebank writes them (``does n't``, ``-LRB-``, ``\\/``, ````... ''``): a
phrase's text is put back together as ordinary text ("doesn't", "(", "/", '"'), so that it is tokenized as
the reviews a model reads later are. Plain Python; no TensorFlow, no pandas.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["NODES", "Phrase", "TreeError", "detokenize", "first_line", "looks_like_trees", "phrases", "read_lines"]

NODES = ("phrases", "sentences")
"""Which nodes of each tree become rows: every labelled phrase (each distinct text once), or the roots."""

_ESCAPES = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}", "``": '"', "''": '"'}
_CLITICS = frozenset(["n't", "'s", "'re", "'ve", "'ll", "'d", "'m", "'em"])
_NO_SPACE_BEFORE = frozenset([",", ".", "!", "?", ";", ":", "...", ")", "]", "}", "%"])
_NO_SPACE_AFTER = frozenset(["(", "[", "{", "$", "#"])
_TOKEN = re.compile(r"\(|\)|[^ \t\r\n()]+")  # words may hold other spaces (a no-break space)
_TREE_START = re.compile(r"\(\s*[^\s()]+\s*\(")
"""How a tree line starts: a node's label, then its first child (a leaf alone, ``(2 word)``, also matches
:data:`_LEAF_ONLY`)."""
_LEAF_ONLY = re.compile(r"\(\s*[^\s()]+\s+[^\s()]+\s*\)\s*$")


class TreeError(ValueError):
    """A line that is not a well-formed tree; ``str()`` says where."""


@dataclass(frozen=True)
class Phrase:
    text: str
    label: str
    words: int
    root: bool


def looks_like_trees(first_line: str) -> bool:
    """Whether a file's first non-blank line is a bracketed tree (``(3 (2 The) ...)``), not text or a table."""
    line = first_line.strip()
    return line.endswith(")") and bool(_TREE_START.match(line) or _LEAF_ONLY.match(line))


def detokenize(words: list[str]) -> str:
    """Treebank tokens as ordinary text: brackets and quotes unescaped, clitics and punctuation attached."""
    out: list[str] = []
    quote_open = False
    glue_next = False
    for raw in words:
        word = _ESCAPES.get(raw, raw).replace("\\/", "/").replace("\\*", "*")
        glue = glue_next or not out
        glue_next = False
        if word == '"':
            if quote_open:
                glue = True
            else:
                glue_next = True
            quote_open = not quote_open
        elif word.lower() in _CLITICS or word in _NO_SPACE_BEFORE:
            glue = True
        elif word in _NO_SPACE_AFTER:
            glue_next = True
        out.append(word if glue or not out else " " + word)
    return "".join(out)


def _parse(line: str) -> list[tuple[str, int, int, bool]]:
    """(label, first word, end word, is root) of every node, children before parents; raises TreeError."""
    tokens = _TOKEN.findall(line)
    nodes: list[tuple[str, int, int, bool]] = []
    stack: list[tuple[str, int]] = []
    words = 0
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "(":
            if i + 1 >= len(tokens) or tokens[i + 1] in "()":
                raise TreeError(f"a node without a label at token {i + 1}")
            if not stack and nodes:
                raise TreeError("more than one tree on the line")
            stack.append((tokens[i + 1], words))
            i += 2
            if i < len(tokens) and tokens[i] not in "()":  # a leaf: (label word)
                words += 1
                i += 1
                if i >= len(tokens) or tokens[i] != ")":
                    raise TreeError(f"a leaf holds more than one word at token {i + 1}")
            continue
        if token == ")":
            if not stack:
                raise TreeError(f"a closing bracket with no node open at token {i + 1}")
            label, start = stack.pop()
            nodes.append((label, start, words, not stack))
        else:
            raise TreeError(f"a word outside a leaf at token {i + 1}: {token[:40]!r}")
        i += 1
    if stack:
        raise TreeError(f"{len(stack)} node(s) left open at the end of the line")
    if not nodes:
        raise TreeError("no tree")
    return nodes


def leaves(line: str) -> list[str]:
    """The words of a tree, in order."""
    tokens = _TOKEN.findall(line)
    return [tokens[i + 2] for i in range(len(tokens) - 3) if tokens[i] == "(" and tokens[i + 3] == ")"
            and tokens[i + 1] not in "()" and tokens[i + 2] not in "()"]  # fmt: skip


def phrases(line: str, nodes: str = "phrases") -> Iterator[Phrase]:
    """The labelled rows of one tree: every node (``phrases``; the same text twice in a tree once) or the root
    (``sentences``). Raises :class:`TreeError` for a line that is not one well-formed tree."""
    if nodes not in NODES:
        raise ValueError(f"nodes must be one of {', '.join(NODES)}, got {nodes!r}")
    parsed = _parse(line)
    words = leaves(line)
    seen: set[str] = set()
    for label, start, end, root in reversed(parsed):  # the root first, then larger phrases before their parts
        if nodes == "sentences" and not root:
            continue
        text = detokenize(words[start:end])
        if not text or text in seen:
            continue
        seen.add(text)
        yield Phrase(text, label, end - start, root)


def first_line(path: str | os.PathLike[str], limit: int = 1 << 16) -> str:
    """The first non-blank line of a file, gzipped or not (the first ``limit`` bytes), for format detection."""
    with open(path, "rb") as raw:
        head = raw.read(2)
    opener = gzip.open if head == b"\x1f\x8b" else open
    try:
        with opener(path, "rb") as handle:
            for line in handle.read(limit).splitlines():
                if line.strip():
                    return line.decode("utf-8-sig", errors="replace")
    except (OSError, EOFError, zlib.error):
        return ""
    return ""


def read_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, str | None]]:
    """(line number, line) of a tree file, gzipped or not, each line decoded by the one policy for plain text
    (:func:`sentiment_cli.textio.decode`); ``None`` for a line that is not text (a NUL)."""
    from .errors import InputError
    from .textio import decode

    with open(path, "rb") as raw:
        head = raw.read(2)
    opener = gzip.open if head == b"\x1f\x8b" else open
    with opener(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                yield number, decode(line, f"{path}:{number}")[0].rstrip("\r\n")
            except InputError:
                yield number, None
