import hashlib
import json
import shutil
from pathlib import Path

import pytest

from sentiment_cli.bundle import CARD_FORMAT, Card, LiteRTInfo, check_output, default_model_dir, read_bundle, staged
from sentiment_cli.config import ModelConfig
from sentiment_cli.errors import ModelError, OutputError, OutputExists

REQUIRED = ["model.keras", "model.tflite", "tokenizer.json"]


def write_required(folder, data):
    for name in REQUIRED:
        (folder / name).write_bytes(data)


def minimal_card(name):
    return Card(
        labels=("negative", "positive"),
        model=ModelConfig(arch="seed"),
        litert=LiteRTInfo(32, ("token_ids",)),
        name=name,
    )


@pytest.fixture
def model_copy(tiny_model, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_model, copy)
    return copy


def test_a_trained_model_directory_verifies(tiny_model, tiny_seed_model):
    bundle = read_bundle(tiny_model)
    files = ["card.json", "model.keras", "model.tflite", "ngrams.npy", "report.html", "tokenizer.json"]
    assert sorted(p.name for p in tiny_model.iterdir()) == files
    assert sorted(p.name for p in tiny_seed_model.iterdir()) == [f for f in files if f != "ngrams.npy"]
    assert bundle.card.format_version == CARD_FORMAT
    assert bundle.labels == ("negative", "positive")
    assert len(bundle.encoder.vocabulary) == bundle.config.vocab_size
    assert len(bundle.encoder.ngrams) == bundle.config.ngram_vocab_size <= 500


def test_the_shipped_models_verify_and_name_their_data():
    """default: every domain of the general data (benchmarks/general_data.py: Sentiment140 left out, the
    generated negations in) with its source's sha256 and licence, IMDB's test split scored, the BiLSTM reading
    unmarked words, the bag negation-marked n-grams whose scopes end at punctuation; imdb: IMDB's train split
    and 15,422 tweets (7,711 a class)."""
    bundle = read_bundle(default_model_dir())
    sources = bundle.card.data["sources"]
    assert [s["name"] for s in sources] == [
        "imdb", "semeval", "sst", "goemotions", "clothing", "tse", "finance", "negation"
    ]  # fmt: skip
    assert bundle.config.negation_marks == "bag-ngrams" and not any("¬" in t for t in bundle.encoder.vocabulary.tokens)
    assert bundle.encoder.ngrams.negated_ngrams and bundle.encoder.clauses and bundle.config.negation_scope == 5
    assert all(len(s["sha256"]) == 64 and s["licence"] and s["rows"] > 1_000 for s in sources)
    assert len(bundle.card.data["parts"]) == len(sources) and bundle.card.metrics["test"]["n"] == 25_000
    assert bundle.card.training["embeddings"]["rows_from_vectors"] > 20_000  # GloVe
    assert bundle.card.command[:2] == ["sentiment", "train"] and len(bundle.card.command) >= 4

    movies = read_bundle(default_model_dir("imdb"))
    assert movies.card.data["splits"] == {"train": 25_000 + 15_422, "test": 25_000}
    parts = movies.card.data["parts"]
    assert [part["splits"] for part in parts] == [{"train": 25_000, "test": 25_000}, {"train": 15_422}]
    assert all(len(part["sha256"]) == 64 for part in parts)


def test_three_models_are_shipped():
    from sentiment_cli.bundle import shipped_models

    shipped = shipped_models()
    assert list(shipped) == ["default", "imdb", "three-class"]
    assert read_bundle(shipped["three-class"]).labels == ("negative", "neutral", "positive")


SHIPPED_CARDS = [default_model_dir(name) / "card.json" for name in ("default", "imdb", "three-class")]
CARDS = [*SHIPPED_CARDS, *sorted((Path(__file__).parents[1] / "data").glob("*/card.json"))]


@pytest.mark.parametrize("path", CARDS, ids=lambda p: p.parent.name)
def test_the_typed_card_writes_back_the_shipped_cards_byte_for_byte(path):
    """Card.from_dict(...).to_dict() of the shipped model's card and the test fixtures' is the same dict, and
    written as Stage.commit writes it, the same bytes: typing the sections changed nothing on disk."""
    text = path.read_text(encoding="utf-8")
    card = Card.from_dict(json.loads(text))
    assert card.to_dict() == json.loads(text)
    assert json.dumps(card.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n" == text
    assert type(card.training).__name__ == "TrainingRecord" and type(card.data).__name__ == "DataRecord"
    assert all(type(m).__name__ == "Metrics" for m in card.metrics.values())


def test_typed_card_sections_refuse_values_of_the_wrong_kind_naming_the_field():
    card = json.loads((default_model_dir() / "card.json").read_text())
    for section, key, value, field in [
        ("training", "best_epoch", {"the BiLSTM": "two"}, "training.best_epoch"),
        ("data", "rows_skipped", [], "data.rows_skipped"),
        ("metrics", "test", {"accuracy": "high"}, "metrics.test"),
    ]:
        broken = json.loads(json.dumps(card))
        broken[section][key] = value
        with pytest.raises(ValueError, match=field.replace(".", r"\.")):
            Card.from_dict(broken)


def test_one_kept_epoch_rule():
    """With a validation split, the epoch early stopping restores (the first lowest validation loss); without,
    the last (nothing is restored; the old rule said the lowest training loss). A card's own value wins."""
    from sentiment_cli.bundle import TrainingRecord, kept_epoch

    assert kept_epoch({"loss": [0.9, 0.5, 0.4, 0.3], "val_loss": [0.8, 0.6, 0.6, 0.7]}) == 2
    assert kept_epoch({"loss": [0.9, 0.3, 0.4]}) == 3
    assert kept_epoch({}) is None
    history = {"loss": [0.9, 0.5], "val_loss": [0.4, 0.6]}
    assert TrainingRecord(kept_epoch={"b": 2}).kept("b", history) == 2
    assert TrainingRecord().kept("b", history) == 1


def test_missing_path_file_and_foreign_directory(tmp_path):
    with pytest.raises(ModelError, match="no such model directory"):
        read_bundle(tmp_path / "nothing")
    (tmp_path / "m.keras").write_bytes(b"x")
    with pytest.raises(ModelError, match="is a file, not a model directory") as info:
        read_bundle(tmp_path / "m.keras")
    assert "inspect" in info.value.hint
    with pytest.raises(ModelError, match=r"not a model directory \(no card.json\)"):
        read_bundle(tmp_path)


def test_tampered_file_is_refused_by_name(model_copy):
    with open(model_copy / "model.tflite", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelError, match=r"model.tflite: contents do not match"):
        read_bundle(model_copy)


def test_missing_and_truncated_files(model_copy):
    data = (model_copy / "tokenizer.json").read_bytes()
    (model_copy / "tokenizer.json").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="tokenizer.json: contents do not match"):
        read_bundle(model_copy)
    (model_copy / "model.keras").unlink()
    with pytest.raises(ModelError, match="model.keras is missing"):
        read_bundle(model_copy)


def test_newer_card_format_is_refused(model_copy):
    card = json.loads((model_copy / "card.json").read_text())
    card["format_version"] = CARD_FORMAT + 1
    (model_copy / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="newer than this sentiment-cli understands"):
        read_bundle(model_copy)


def test_card_cannot_point_outside_the_directory(model_copy):
    card = json.loads((model_copy / "card.json").read_text())
    card["files"]["../secret"] = {"sha256": "0" * 64}
    (model_copy / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="not allowed"):
        read_bundle(model_copy)


def test_existing_output_needs_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    check_output(out, force=False)  # empty is fine
    (out / "keep.txt").write_text("mine")
    with pytest.raises(OutputExists, match="exists and is not empty"):
        check_output(out, force=False)
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a directory"):
        check_output(tmp_path / "file", force=True)


def test_stage_is_all_or_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), staged(out) as stage:
        (stage.path / "model.keras").write_bytes(b"partial")
        raise RuntimeError("interrupted half way")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # the stage is gone too

    with staged(out) as stage:
        write_required(stage.path, b"one")
        stage.commit(minimal_card("x"))
    card = json.loads((out / "card.json").read_text())
    assert card["files"]["model.keras"]["bytes"] == 3
    assert card["name"] == "x" and card["format_version"] == CARD_FORMAT

    with staged(out, force=True) as stage:
        write_required(stage.path, b"two")
        (stage.path / "b.bin").write_bytes(b"two")
        stage.commit(minimal_card("y"))
    assert sorted(p.name for p in out.iterdir()) == ["b.bin", "card.json", *REQUIRED]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_run_that_loses_the_race_refuses(tmp_path):
    out = tmp_path / "out"
    with staged(out) as first, staged(out) as second:
        write_required(first.path, b"1")
        write_required(second.path, b"2")
        (first.path / "a").write_text("1")
        first.commit(minimal_card("first"))
        with pytest.raises(OutputExists, match="exists and is not empty"):
            second.commit(minimal_card("second"))
    assert sorted(p.name for p in out.iterdir()) == ["a", "card.json", *REQUIRED]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("card", 10**40, "disagree on the part of a review"),  # the card says: the first max_length units
        ("card", 2, "disagree on the part of a review"),
        ("tokenizer", None, "disagree on the part of a review"),  # the tokenizer says: the first units
        ("tokenizer", -1, "head_length must be an integer of at least 0"),
        ("tokenizer", True, "head_length must be an integer"),
        ("negation_scope", None, "negation_scope must be an integer"),
        ("max_length", 0, "max_length must be an integer of at least 1"),
    ],
)
def test_card_and_tokenizer_must_agree_on_the_bilstms_window(model_copy, where, value, message):
    card = json.loads((model_copy / "card.json").read_text())
    tokenizer = json.loads((model_copy / "tokenizer.json").read_text())
    assert read_bundle(model_copy).encoder.head_length == card["model"]["head_length"] == 6  # a quarter of 24
    if where == "card":
        card["model"]["head_length"] = value
    elif where == "tokenizer":
        tokenizer.pop("head_length") if value is None else tokenizer.update(head_length=value)
    else:
        tokenizer[where] = value
    data = json.dumps(tokenizer).encode()
    (model_copy / "tokenizer.json").write_bytes(data)
    card["files"]["tokenizer.json"] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    (model_copy / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match=message):
        read_bundle(model_copy)


def _rewrite_card(model, edit) -> None:
    card = json.loads((model / "card.json").read_text())
    edit(card)
    (model / "card.json").write_text(json.dumps(card))


def _put(model, name: str, data: bytes) -> None:
    """Replace a file of the model directory and put its hash in the card, as someone mixing models would."""
    (model / name).write_bytes(data)
    entry = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    _rewrite_card(model, lambda c: c["files"].update({name: entry}))


@pytest.mark.parametrize(
    "name",
    ["a\x00b", "", "a/b", "a\\b", "..", ".", ".hidden", "new\nline", "\x1b[2J", "\ud800", "x" * 256, "card.json"],
)
def test_card_file_names_must_be_plain_names(model_copy, name):
    from typer.testing import CliRunner

    import sentiment_cli
    from sentiment_cli.cli import app

    _rewrite_card(model_copy, lambda c: c["files"].update({name: c["files"]["report.html"]}))
    with pytest.raises(ModelError, match=r"not a valid model card \(file name .* is not allowed\)"):
        read_bundle(model_copy)
    with pytest.raises(ModelError, match="is not allowed"):
        sentiment_cli.load(model_copy)  # the API raises our ModelError, never a bare ValueError
    result = CliRunner().invoke(app, ["predict", "-m", str(model_copy), "-"], input="a film\n")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "is not allowed" in result.stderr
    assert "Traceback" not in result.output


def test_a_card_saved_with_a_byte_order_mark_reads(model_copy):
    data = (model_copy / "card.json").read_bytes()
    (model_copy / "card.json").write_bytes(b"\xef\xbb\xbf" + data)  # Windows Notepad's UTF-8
    assert read_bundle(model_copy).labels == ("negative", "positive")
    (model_copy / "card.json").write_bytes(b"\xff" + data)
    with pytest.raises(ModelError, match=r"unreadable model card \(not UTF-8 text: byte 0\)$"):
        read_bundle(model_copy)


@pytest.mark.parametrize("first", [True, False])
def test_the_first_format_1_cards_are_refused_as_retired(model_copy, first):
    """The cards shipped at e29d2c8 (seed: no arch, no litert.inputs) and a0d0485 (no litert.output): their
    flatbuffers end in a sigmoid, so their output cannot be read as log-odds. Later format-1 cards load."""

    def old(card):
        card["format_version"] = 1
        card["versions"]["sentiment_cli"] = "0.1.0"
        del card["litert"]["output"]
        if first:
            card["model"].pop("arch")
            del card["litert"]["inputs"]

    _rewrite_card(model_copy, old)
    with pytest.raises(ModelError) as info:
        read_bundle(model_copy)
    assert str(info.value).endswith(
        "card.json: model card format 1 (sentiment-cli 0.1.0, from before model.tflite gave log-odds) is no longer "
        "supported: its output would be read wrong (retrain the model with this version)"
    )
    _rewrite_card(model_copy, lambda c: c["litert"].update(output="logit", inputs=["token_ids", "ngram_ids"]))
    assert read_bundle(model_copy).card.format_version == 1


def test_files_of_different_models_are_refused_even_with_their_hashes(model_copy, tmp_path):
    from sentiment_cli.runtime import Predictor

    shipped = default_model_dir("imdb")  # 10,000 words, 300,000 n-grams
    words = len(read_bundle(model_copy).encoder.vocabulary)
    mixed = tmp_path / "mixed"
    shutil.copytree(model_copy, mixed)
    _put(mixed, "model.tflite", (shipped / "model.tflite").read_bytes())
    with pytest.raises(ModelError, match=r"model.tflite: its embedding table has 10,001 rows, the model directory's "
                       rf"words in tokenizer.json need {words + 1} \(files of different models\?\)"):  # fmt: skip
        Predictor(read_bundle(mixed))
    # the shipped tokenizer and n-gram table beside the tiny model's flatbuffer: the card's sizes disagree
    for name in ("tokenizer.json", "ngrams.npy"):
        _put(model_copy, name, (shipped / name).read_bytes())
    window = {key: read_bundle(shipped).card.model.to_dict()[key] for key in ("max_length", "head_length")}
    _rewrite_card(model_copy, lambda c: c["model"].update(window))
    with pytest.raises(ModelError, match=rf"the card's model.vocab_size is {words}, but there are 10,000 words"):
        read_bundle(model_copy)
    _rewrite_card(model_copy, lambda c: c["model"].update(vocab_size=10_000))
    with pytest.raises(ModelError, match=r"ngram_vocab_size is \d+, but there are 300,000 keys in ngrams.npy"):
        read_bundle(model_copy)
    _rewrite_card(model_copy, lambda c: c["model"].update(ngram_vocab_size=300_000))
    with pytest.raises(ModelError, match=rf"its embedding table has {words + 1} rows, the model directory's words in "
                       r"tokenizer.json need 10,001"):  # fmt: skip
        Predictor(read_bundle(model_copy))


def test_a_shape_error_shows_plain_numbers(model_copy):
    from sentiment_cli.runtime import Predictor

    _rewrite_card(model_copy, lambda c: c["litert"].update(batch_size=7))
    expected = r"input batch_\w+:0 is \(32, 1\) int32, expected \(7, length\) int32"
    with pytest.raises(ModelError, match=expected):
        Predictor(read_bundle(model_copy))
