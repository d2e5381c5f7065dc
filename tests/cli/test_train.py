"""``sentiment train`` through Typer's CliRunner: refusals before training, data errors, and the tiny recipe
on tables, trees, several data sets, label maps and non-Latin scripts (those that train are slow)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import (
    TINY_TRAIN_ARGS,
    jsonl,
    make_korean,
    make_reviews,
    runner,
    train_tiny,
    write_csv,
    write_jsonl,
)
from sentiment_cli.bundle import read_bundle
from sentiment_cli.cli import app


def test_train_refuses_existing_output_before_training(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    data = write_csv(tmp_path / "d.csv", make_reviews(40))
    result = runner.invoke(app, ["train", str(data), "--out", str(out)])
    assert result.exit_code == 1
    assert "exists and is not empty (pass --force to replace it)" in result.stderr
    assert (out / "precious.txt").read_text() == "keep me"


def test_train_data_errors_are_one_line(tmp_path):
    one_class = write_csv(tmp_path / "pos.csv", [("good film", 1)] * 20)
    result = runner.invoke(app, ["train", str(one_class), "--out", str(tmp_path / "m"), *TINY_TRAIN_ARGS])
    assert result.exit_code == 1
    assert result.stderr == f"error: {one_class} has only one label: '1'; at least two classes are needed\n"
    assert not (tmp_path / "m").exists()
    # One review per class: the negative one is held out for validation, and the message says so.
    two = write_csv(tmp_path / "two.csv", [("good film", 1), ("bad film", 0)])
    result = runner.invoke(app, ["train", str(two), "--out", str(tmp_path / "m"), *TINY_TRAIN_ARGS, "--seed", "1"])
    assert result.exit_code == 1
    assert "left to fit on (the " in result.stderr and "reviews all went to the validation split)" in result.stderr


@pytest.mark.slow
def test_train_downloads_from_data_url(tmp_path, monkeypatch):
    folder = tmp_path / "src"
    from conftest import write_folder

    write_folder(folder / "aclImdb", {"train": make_reviews(60), "test": make_reviews(20, seed=3)})
    archive = shutil.make_archive(str(tmp_path / "imdb"), "gztar", folder)
    monkeypatch.setenv("SENTIMENT_CLI_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "model"
    args = ["train", "--data-url", Path(archive).as_uri(), "--out", str(out), *TINY_TRAIN_ARGS, "--epochs", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    card = json.loads((out / "card.json").read_text())
    assert card["data"]["splits"] == {"train": 60, "test": 20}
    assert card["data"]["source"].startswith(str(tmp_path / "cache"))
    assert "test" in result.stdout  # the metrics table


@pytest.mark.parametrize("content", ["{not json", '[{"name": "a", "rows": "many"}]'])
def test_train_refuses_a_bad_sources_file_before_reading_the_data(tmp_path, content):
    sources = tmp_path / "sources.json"
    sources.write_text(content)
    result = runner.invoke(app, ["train", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "m"),
                                 "--data-sources", str(sources)])  # fmt: skip
    assert result.exit_code == 2
    assert "--data-sources" in result.stderr and "missing.csv" not in result.stderr
    assert not (tmp_path / "m").exists()


@pytest.mark.slow  # trains a tiny model (TensorFlow)
def test_train_on_trees_from_frozen_vectors(tmp_path):
    """The CLI end to end: a tree file as data, a GloVe file as the embedding's start, frozen: the model's
    embedding rows of the words found are the vectors, and the card says where they came from."""
    import json
    import random

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
    result = runner.invoke(app, args)
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


@pytest.fixture
def two_files(tmp_path):
    first = write_csv(tmp_path / "a.csv", make_reviews(60, seed=1))
    rows = [{"review": t, "sentiment": ["neg", "pos"][y], "split": "train"} for t, y in make_reviews(20, seed=2)]
    rows += [{"review": t, "sentiment": ["neg", "pos"][y], "split": "test"} for t, y in make_reviews(10, seed=3)]
    second = write_jsonl(tmp_path / "b.jsonl", rows)
    return first, second


@pytest.mark.slow
def test_train_on_two_data_sets_lists_both_on_the_card(two_files, tmp_path):
    out = tmp_path / "model"
    result = runner.invoke(app, ["train", *map(str, two_files), "--out", str(out), *TINY_TRAIN_ARGS, "--epochs", "2"])
    assert result.exit_code == 0, result.output
    card = json.loads((out / "card.json").read_text())
    assert card["data"]["source"] == f"{two_files[0]} + {two_files[1]}"
    assert [part["sha256"] for part in card["data"]["parts"]] != [None, None]
    assert card["training"]["train_reviews"] + card["training"]["validation_reviews"] == 80
    assert card["metrics"]["test"]["n"] == 10
    # --force never replaces a folder holding the second data set either
    clash = runner.invoke(app, ["train", *map(str, two_files), "--out", str(two_files[1].parent), "--force"])
    assert clash.exit_code == 1 and all(f.exists() for f in two_files)
    assert "holds the training data" in clash.stderr


@pytest.mark.slow
def test_training_text_with_no_shared_n_gram_is_a_data_error(tmp_path):
    # six one-digit reviews, no digit twice among them: the n-gram bag would have no entry
    data = write_csv(tmp_path / "d.csv", [("4", 0), ("3", 0), ("2", 0), ("7", 0), ("1", 0), ("9", 1)])
    result = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m"), *TINY_TRAIN_ARGS])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "the n-gram bag would be empty" in result.stderr and not (tmp_path / "m").exists()


def test_resume_refuses_a_checkpoint_of_another_run(tmp_path):
    from sentiment_cli.cli import app

    data = write_csv(tmp_path / "d.csv", make_reviews(40))
    result = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m"), "--resume"])
    assert (
        result.exit_code == 1 and "no checkpoint to resume from (run without --resume to start afresh)" in result.stderr
    )
    checkpoint = tmp_path / ".m.checkpoint"
    checkpoint.mkdir()
    (checkpoint / "state.json").write_text(json.dumps({"fingerprint": "another run"}))
    result = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m"), "--resume"])
    assert result.exit_code == 1 and "other data or settings" in result.stderr




@pytest.mark.slow
def test_train_with_a_label_map_records_classes_and_skipped_rows(tmp_path):
    rows = [(text, 5 if label else 1) for text, label in make_reviews(300, seed=5)] + [("meh", 3), ("", 4)]
    data = write_csv(tmp_path / "stars.csv", rows, header=("text", "stars"))
    out = train_tiny(tmp_path / "m", data, "--label-map", "1-2=negative,3=drop,4-5=positive", "--epochs", "2")
    card = json.loads((out / "card.json").read_text())
    assert card["labels"] == ["negative", "positive"]
    assert card["label_scheme"]["kind"] == "mapped"
    assert card["data"]["rows_read"] == 302 and card["data"]["rows_used"] == 300
    assert card["data"]["rows_skipped"] == {"without text": 1, "whose label the label map drops": 1}
    # evaluate maps the same stars through the card's own label map: 1 is negative, 5 positive, 3 dropped
    result = runner.invoke(app, ["evaluate", str(data), "-m", str(out), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["n"] == 300 and scores["accuracy"] >= 0.9
    assert scores["rows_skipped"] == {"without text": 1, "whose label the label map drops": 1}


@pytest.mark.slow
def test_train_reports_columns_labels_and_skips_on_stderr(tmp_path):
    rows = [(text, label) for text, label in make_reviews(200, seed=6)] + [("no label here", "")]
    data = write_csv(tmp_path / "d.csv", rows, header=("Comment", "Polarity"))
    args = ["train", str(data), "--out", str(tmp_path / "m"), *TINY_TRAIN_ARGS, "--epochs", "1", "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)  # stdout is one JSON object; everything else went to stderr
    assert (summary["schema"], summary["schema_version"]) == ("sentiment-cli/train", 1)
    assert summary["labels"] == ["negative", "positive"] and summary["out"] == str(tmp_path / "m")
    assert summary["data"]["rows_skipped"] == {"without a label": 1}
    assert summary["metrics"]["validation"]["n"] == 20
    assert (
        f"read {data} as CSV with a header row; text column 'Comment', label column 'Polarity' "
        "(chosen automatically: text, label)"
    ) in result.stderr
    assert "labels: 0 -> negative, 1 -> positive" in result.stderr
    assert "warning: skipped 1 row without a label: line 202" in result.stderr
    assert "Read 200 reviews" in result.stderr and "(no test split)" in result.stderr


@pytest.mark.slow
def test_negation_marks_for_the_bag_only_leave_the_bilstms_words_plain(tmp_path):
    """--negation-marks bag: the vocabulary has no ¬word (the BiLSTM reads "not dull" as the words), the bag
    still has ¬dull as a 1-gram of its own; the card and tokenizer.json say so, and the model predicts."""
    rows = [(f"{t} not {w}", y) for (t, y), w in zip(make_reviews(160, seed=4), ["dull", "great"] * 80, strict=True)]
    data = write_csv(tmp_path / "d.csv", rows)
    bag_only = read_bundle(train_tiny(tmp_path / "bag", data, "--negation-marks", "bag"))
    both = read_bundle(train_tiny(tmp_path / "both", data))
    assert bag_only.config.negation_marks == "bag" and both.config.negation_marks == "both"
    assert bag_only.card.to_dict()["model"]["negation_marks"] == "bag"
    assert not {"negation_marks", "negation_ends"} & set(both.card.to_dict()["model"])  # defaults: as before them
    assert not any(t.startswith("¬") for t in bag_only.encoder.vocabulary.tokens)
    assert any(t.startswith("¬") for t in both.encoder.vocabulary.tokens)
    assert (bag_only.encoder.negation_scope, bag_only.encoder.ngrams.negation_scope) == (0, 3)
    encoded = bag_only.encoder.encode("not dull")
    assert bag_only.encoder.vocabulary.ids(["dull"])[0] in encoded.token_ids  # the word itself, not ¬dull
    table = bag_only.encoder.ngrams
    assert encoded.ngram_ids == table.ids(["not", "dull"]) != table.ids(["not", "dull"], ["not", "dull"])
    result = runner.invoke(app, ["predict", "-m", str(tmp_path / "bag"), "-"], input="superb, not dull\n")
    assert result.exit_code == 0, result.output
    assert jsonl(result.stdout)[0]["label"] in ("negative", "positive")


@pytest.mark.slow
def test_negation_marks_in_every_ngram_and_scopes_ending_at_punctuation(tmp_path):
    """--negation-marks bag-ngrams --negation-ends punctuation: the card and tokenizer.json (format 3) say so,
    the bag reads "not dull, great" as not ¬dull, great (the comma ends the scope) and has no plain "a dull"
    2-gram where a negator precedes it; predict and --explain read the model the same way."""
    words = ["dull", "bore"] * 80
    rows = [(f"{t} not a {w}, great", y) for (t, y), w in zip(make_reviews(160, seed=4), words, strict=True)]
    data = write_csv(tmp_path / "d.csv", rows)
    out = train_tiny(tmp_path / "m", data, "--negation-marks", "bag-ngrams", "--negation-ends", "punctuation")
    bundle = read_bundle(out)
    model = bundle.card.to_dict()["model"]
    assert (model["negation_marks"], model["negation_ends"]) == ("bag-ngrams", "punctuation")
    settings = json.loads((out / "tokenizer.json").read_text())
    assert settings["format"] == 3 and settings["negation_ends"] == "punctuation"
    assert settings["ngrams"]["negated"] == "ngrams"
    encoder = bundle.encoder
    assert encoder.clauses and encoder.ngrams.negated_ngrams and encoder.negation_scope == 0
    table = encoder.ngrams
    plain = ["not", "a", "dull", "great"]
    marked = ["not", "¬a", "¬dull", "great"]  # the comma ends the scope before "great"
    assert encoder.encode("not a dull, great").ngram_ids == table.ids(plain, marked)
    assert table.ids(plain, marked) != table.ids(plain, ["not", "¬a", "¬dull", "¬great"])
    command = ["predict", "-m", str(out), "--explain", "-f", "jsonl", "-"]
    result = runner.invoke(app, command, input="not a dull, great\n")
    assert result.exit_code == 0, result.output
    explained = jsonl(result.stdout)[0]["explanation"]
    assert [(w["token"], w["negated"]) for w in explained] == [
        ("not", False), ("a", True), ("dull", True), ("great", False),
    ]  # fmt: skip


@pytest.mark.slow
def test_korean_reviews_get_character_ngrams(tmp_path):
    data = write_jsonl(tmp_path / "steam.jsonl", [{"document": t, "label": y} for t, y in make_korean(400, seed=7)])
    out = train_tiny(tmp_path / "ko", data)
    bundle = read_bundle(out)
    assert (bundle.config.tokenizer, bundle.config.char_ngrams) == ("words", "on")
    assert bundle.encoder.units == "words" and bundle.encoder.ngrams.char_order == 4
    # 영화가 and 영화를 share the stem 영화: the bag knows its characters and their bigram
    shared = set(bundle.encoder.ngrams.ids(["영화가"])) & set(bundle.encoder.ngrams.ids(["영화를"]))
    assert len(shared) >= 4  # the every-review id, 영, 화, 영화
    assert bundle.card.metrics["test" if "test" in bundle.card.metrics else "validation"]["accuracy"] >= 0.9
    records = jsonl(
        runner.invoke(app, ["predict", "-m", str(out), "-"], input="영화가 진짜 최고\n게임은 너무 최악\n").stdout
    )
    assert [r["label"] for r in records] == ["positive", "negative"]


@pytest.mark.slow
def test_japanese_reviews_train_on_characters(tmp_path):
    rows = [("この映画は最高でした" if i % 2 else "この映画は最悪でした", i % 2) for i in range(200)]
    out = train_tiny(tmp_path / "ja", write_csv(tmp_path / "ja.csv", rows), "--epochs", "3")
    bundle = read_bundle(out)
    assert bundle.encoder.units == "chars" and bundle.config.char_ngrams == "on"
    assert bundle.encoder.encode("この映画").token_ids == bundle.encoder.vocabulary.ids(list("この映画"))
    records = jsonl(runner.invoke(app, ["predict", "-m", str(out), "-"], input="最高でした\n最悪でした\n").stdout)
    assert [r["label"] for r in records] == ["positive", "negative"]


@pytest.mark.slow
def test_a_validation_split_column_is_used_for_validation(tmp_path):
    rows = [
        {"text": text, "label": label, "split": "dev" if i % 5 == 0 else "TRAIN"}
        for i, (text, label) in enumerate(make_reviews(250, seed=8))
    ]
    out = train_tiny(tmp_path / "m", write_jsonl(tmp_path / "d.jsonl", rows), "--epochs", "2")
    card = json.loads((out / "card.json").read_text())
    assert card["data"]["splits"] == {"train": 200, "validation": 50}
    assert card["training"]["train_reviews"] == 200 and card["training"]["validation_reviews"] == 50
    assert card["metrics"]["validation"]["n"] == 50


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--seed", "-1", "0<=x<=4294967295"),
        ("--seed", "4294967296", "0<=x<=4294967295"),
        ("--learning-rate", "1e308", "0.0<=x<=1.0"),
        ("--learning-rate", "0", "learning_rate must be a number above 0 and at most 1"),
        ("--lstm-units", "100000", "1<=x<=4096"),
        ("--embedding-dim", "5000", "1<=x<=4096"),
        ("--dense-units", "4097", "1<=x<=4096"),
        ("--ngram-order", "9", "1<=x<=8"),
    ],
)
def test_training_options_out_of_range_are_usage_errors_before_any_work(tmp_path, option, value, allowed):
    """Each was a traceback (or an out-of-memory error) after the data was read and TensorFlow loaded."""
    data = write_csv(tmp_path / "d.csv", make_reviews(20))
    result = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m"), option, value])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.stderr and allowed in result.stderr
    assert "Read" not in result.stderr and not (tmp_path / "m").exists()


def test_training_settings_out_of_range_are_refused_by_the_api():
    from sentiment_cli.config import ModelConfig, TrainConfig

    with pytest.raises(ValueError, match=r"seed must be from 0 to 4294967295 \(2\*\*32 - 1\), got -1"):
        TrainConfig(seed=-1)
    with pytest.raises(ValueError, match="learning_rate must be a number above 0 and at most 1, got 1e\\+308"):
        TrainConfig(learning_rate=1e308)
    with pytest.raises(ValueError, match="lstm_units must be from 1 to 4,096, got 100000"):
        ModelConfig(lstm_units=100_000)
    with pytest.raises(ValueError, match="negation_marks must be one of both, bag, bag-ngrams, got 'words'"):
        ModelConfig(negation_marks="words")
    with pytest.raises(ValueError, match="negation_ends must be one of scope, punctuation, got 'commas'"):
        ModelConfig(negation_ends="commas")
    assert TrainConfig(seed=2**32 - 1, learning_rate=1.0).seed == 2**32 - 1
