"""Sentiment trees (SST format): parsing, phrase text, and reading a tree file as labelled data."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from sentiment_cli.data import TableOptions, load_dataset
from sentiment_cli.errors import DataError
from sentiment_cli.trees import TreeError, detokenize, looks_like_trees, phrases

TREE = "(1 (2 The) (1 (2 film) (1 (1 (2 is) (1 (1 not) (3 good))) (2 .))))"
NEGATED = "(3 (1 not) (1 sophomoric))"


def test_every_labelled_phrase_once_root_first():
    rows = [(p.label, p.text, p.words, p.root) for p in phrases(TREE)]
    assert rows[0] == ("1", "The film is not good.", 6, True)
    texts = [text for _, text, _, _ in rows]
    assert len(texts) == len(set(texts))
    assert ("3", "good", 1, False) in rows
    assert ("1", "is not good", 3, False) in rows
    assert ("1", "not good", 2, False) in rows
    assert len(rows) == 11  # 11 nodes, every text distinct


def test_sentences_only_gives_the_root():
    assert [(p.label, p.text) for p in phrases(NEGATED, "sentences")] == [("3", "not sophomoric")]


@pytest.mark.parametrize(
    ("words", "text"),
    [
        (["does", "n't", "work", "."], "doesn't work."),
        (["ca", "n't", "stop"], "can't stop"),
        (["wo", "n't", "last"], "won't last"),
        (["Jackson", "'s", "vision", ",", "er", ",", "spirit"], "Jackson's vision, er, spirit"),
        (["a", "``", "Conan", "''", "movie"], 'a "Conan" movie'),
        (["-LRB-", "barely", "-RRB-", "co-writer\\/director"], "(barely) co-writer/director"),
        (["wow", "!", "..."], "wow!..."),
    ],
)
def test_treebank_tokens_back_to_text(words, text):
    assert detokenize(words) == text


@pytest.mark.parametrize(
    "line",
    ["(1 (2 a) (2 b)", "(1 (2 a) (2 b)))", "(1 (2 a b))", "(1 x (2 a))", "(1 (2 a)) (1 (2 b))", "()", ""],
)
def test_malformed_trees_are_refused(line):
    with pytest.raises(TreeError):
        list(phrases(line))


def test_a_word_with_a_no_break_space_stays_one_word():
    assert [p.text for p in phrases("(2 (2 8\u00a01\\/2) (2 hours))", "sentences")] == ["8\u00a01/2 hours"]


def test_tree_lines_are_told_from_text_and_tables():
    assert looks_like_trees(TREE)
    assert looks_like_trees("(2 word)")
    assert not looks_like_trees("text,label")
    assert not looks_like_trees("(This) is a review in brackets")
    assert not looks_like_trees('{"text": "(2 x)"}')


def _tree_file(path: Path, lines: list[str], gz: bool = False) -> Path:
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_a_tree_file_trains_on_phrases_with_a_label_map(tmp_path, gz):
    path = _tree_file(tmp_path / ("trees.txt.gz" if gz else "trees.txt"), [TREE, NEGATED, TREE])
    data = load_dataset(path, TableOptions(label_map="0-1=negative,2=drop,3-4=positive"))
    train = data.split("train")
    assert data.classes == ("negative", "positive")
    pairs = dict(zip(train.texts, train.labels.tolist(), strict=True))
    assert pairs["not good"] == 0 and pairs["good"] == 1 and pairs["not sophomoric"] == 1
    assert "The film" not in pairs  # neutral (2): dropped by the map
    assert len(train) == len(pairs)  # the repeated tree adds nothing
    assert data.fingerprint["kind"] == "trees"
    assert any("sentiment trees" in note for note in data.notes)


def test_a_tree_file_read_as_sentences(tmp_path):
    path = _tree_file(tmp_path / "dev.txt", [TREE, NEGATED])
    data = load_dataset(path, TableOptions(tree_nodes="sentences", label_map="0-1=negative,2=drop,3-4=positive"))
    assert data.split("train").texts == ["The film is not good.", "not sophomoric"]


def test_a_bad_tree_line_is_skipped_and_counted(tmp_path):
    path = _tree_file(tmp_path / "t.txt", [TREE, "(1 (2 broken", NEGATED])
    data = load_dataset(path, TableOptions(label_map="0-1=negative,2=drop,3-4=positive"))
    assert data.report()["rows_skipped"] == {"that are not a well-formed tree": 1, "whose label the label map drops": 4}
    assert any("line 2" in message for message in data.messages())


def test_tree_files_take_no_columns(tmp_path):
    path = _tree_file(tmp_path / "t.txt", [TREE])
    with pytest.raises(DataError, match="text column does not apply"):
        load_dataset(path, TableOptions(text_column="text"))


def test_tree_lines_are_decoded_as_every_plain_text_is(tmp_path):
    path = tmp_path / "t.txt"
    lines = [b"\xef\xbb\xbf" + TREE.encode(), b"(3 (2 caf\xe9) (3 good))", b"(1 \x00)", NEGATED.encode()]
    path.write_bytes(b"\n".join(lines) + b"\n")
    data = load_dataset(path, TableOptions(tree_nodes="sentences", label_map="0-1=negative,2=drop,3-4=positive"))
    assert data.split("train").texts == ["The film is not good.", "caf\ufffd good", "not sophomoric"]
    assert data.report()["rows_skipped"] == {"that are not text": 1}
