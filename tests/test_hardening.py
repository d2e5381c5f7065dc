"""Hostile or broken inputs: nothing runs code from a model, nothing is left half-written."""

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TINY_TRAIN_ARGS, make_reviews, write_csv
from sentiment_cli.bundle import read_bundle, staged
from sentiment_cli.errors import ModelError, OutputError
from sentiment_cli.metrics import sigmoid, softmax
from sentiment_cli.runtime import Predictor
from sentiment_cli.text import tokenize, tokenize_with_offsets


class WritesMarker:
    """Unpickling this object writes a marker file: proof that a pickle was loaded."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path(self.marker).write_text, ("unpickled",))


def rehash(model_dir: Path, name: str) -> None:
    card = json.loads((model_dir / "card.json").read_text())
    data = (model_dir / name).read_bytes()
    card["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    (model_dir / "card.json").write_text(json.dumps(card))


def test_a_planted_pickle_is_never_loaded(tiny_model, tmp_path):
    import pickle

    from typer.testing import CliRunner

    from sentiment_cli.cli import app

    model = shutil.copytree(tiny_model, tmp_path / "model")
    marker = tmp_path / "marker"
    # Next to the model, and as the n-gram table (an object array is a pickle inside .npy).
    (model / "model.pkl").write_bytes(pickle.dumps(WritesMarker(str(marker))))
    rehash(model, "model.pkl")
    runner = CliRunner()
    assert runner.invoke(app, ["predict", "-m", str(model), "-"], input="a fine film\n").exit_code == 0
    assert runner.invoke(app, ["inspect", str(model), "-f", "json"]).exit_code == 0
    assert not marker.exists()

    np.save(model / "ngrams.npy", np.array([WritesMarker(str(marker))], dtype=object), allow_pickle=True)
    rehash(model, "ngrams.npy")
    with pytest.raises(ModelError, match="unusable tokenizer"):
        read_bundle(model)
    result = runner.invoke(app, ["predict", "-m", str(model), "-"], input="a fine film\n")
    assert result.exit_code == 1 and "unusable tokenizer" in result.stderr
    assert not marker.exists()


def test_full_disk_while_writing_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(OutputError, match="no space left"), staged(out) as stage:
        (stage.path / "model.keras").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_is_refused_before_training(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from sentiment_cli.cli import app

    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == tmp_path else real_access(p, mode))
    data = write_csv(tmp_path / "d.csv", make_reviews(20))
    result = CliRunner().invoke(app, ["train", str(data), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert f"error: {tmp_path}: not writable" in result.stderr


@pytest.mark.slow
def test_fewer_reviews_than_a_batch_still_train(tmp_path):
    from typer.testing import CliRunner

    from sentiment_cli.cli import app

    data = write_csv(tmp_path / "d.csv", make_reviews(12))
    out = tmp_path / "m"
    result = CliRunner().invoke(app, ["train", str(data), "--out", str(out), *TINY_TRAIN_ARGS, "--epochs", "1"])
    assert result.exit_code == 0, result.stderr
    assert json.loads((out / "card.json").read_text())["training"]["train_reviews"] == 11


def default_signals() -> None:
    """A shell without job control starts background commands with Ctrl-C ignored, and a process keeps
    what it inherits: the child gets the default handling a terminal user's program has."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def sentiment_command() -> list[str]:
    return [sys.executable, "-m", "sentiment_cli"]


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_training_exits_cleanly_and_leaves_nothing(tmp_path, sig, code):
    data = write_csv(tmp_path / "d.csv", make_reviews(3000))
    out = tmp_path / "model"
    args = [*TINY_TRAIN_ARGS, "--epochs", "200", "--patience", "200"]
    process = subprocess.Popen(
        [*sentiment_command(), "train", str(data), "--out", str(out), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals,
    )  # fmt: skip
    for line in process.stderr:
        if ", epoch 2/" in line:  # well inside training
            break
    process.send_signal(sig)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == code
    assert errors.strip().splitlines()[-1] in ("error: interrupted", "error: terminated")
    assert "Traceback" not in errors
    # No model and no half-written stage; only the checkpoint that --resume continues from.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".model.checkpoint", "d.csv"]


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_a_table_arrives_on_standard_input_is_a_clean_exit(tiny_model, tmp_path, sig, code):
    process = subprocess.Popen(
        [*sentiment_command(), "predict", "-m", str(tiny_model), "-", "--input-format", "csv"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=default_signals,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )  # fmt: skip
    process.stdin.write(b"text\ngreat film\n")  # the table has begun, and its end has not come
    process.stdin.flush()
    deadline = time.monotonic() + 30
    while not any(tmp_path.glob("sentiment-stdin-*/stdin")) and time.monotonic() < deadline:
        time.sleep(0.05)  # until its copy is being written
    process.send_signal(sig)
    process.wait(timeout=60)  # its standard input still open: the copy is waiting for more
    errors = process.stderr.read()
    process.stdin.close()
    assert process.returncode == code, errors
    assert errors.decode().splitlines() == ["error: interrupted" if sig == signal.SIGINT else "error: terminated"]
    assert list(tmp_path.iterdir()) == []  # the copy is removed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=300), min_size=1, max_size=40))
def test_any_text_gets_one_probability(tiny_model, texts):
    predictor = Predictor(read_bundle(tiny_model))
    probabilities = predictor.probabilities(texts)
    assert probabilities.shape == (len(texts), 2)
    # a row is NaN exactly when the model knows nothing in the text; every other row is a distribution
    unknown = np.array([not predictor.encoder.encode(t).readable for t in texts], dtype=bool)
    np.testing.assert_array_equal(np.isnan(probabilities).any(axis=1), unknown)
    assert np.all((probabilities[~unknown] >= 0) & (probabilities[~unknown] <= 1))
    np.testing.assert_allclose(probabilities[~unknown].sum(axis=1), 1.0)
    for text in texts:
        tokens = tokenize_with_offsets(text)
        assert [t.text for t in tokens] == tokenize(text)
        assert all(text[t.start : t.end].lower() == t.text or t.text in ("@user", "<url>") for t in tokens)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["tiny_model", "three_class_model"])
def test_keras_save_and_load_round_trip(request, tmp_path, which):
    """model.keras loads (safe mode), saves and loads again to the same predictions as the LiteRT model."""
    from sentiment_cli._tensorflow import keras
    from sentiment_cli.inspection import load_keras

    bundle = read_bundle(request.getfixturevalue(which))
    model = load_keras(bundle.keras_path)
    again_path = tmp_path / "again.keras"
    model.save(again_path)
    again = load_keras(again_path)
    texts = [text for text, _ in make_reviews(30, seed=12)] + ["", "!!!", "unknown words only"]
    arrays = bundle.encoder.batch([bundle.encoder.encode(t) for t in texts])
    inputs = arrays if len(model.inputs) > 1 else arrays["token_ids"]
    first, second = (np.asarray(m.predict(inputs, verbose=0)) for m in (model, again))
    np.testing.assert_allclose(second, first, rtol=1e-6, atol=1e-7)
    predictor = Predictor(bundle)
    logits = predictor.logits_of(predictor.encode(texts))  # raw: the unreadable texts too
    litert = sigmoid(logits)[:, None] if logits.ndim == 1 else softmax(logits)
    expected = first
    np.testing.assert_allclose(litert, expected, atol=1e-4)
    assert isinstance(again, keras.Model)


@pytest.mark.slow
def test_resume_after_sigterm_reaches_the_same_model(tmp_path):
    from typer.testing import CliRunner

    from sentiment_cli.cli import app

    data = write_csv(tmp_path / "d.csv", make_reviews(600, seed=9))
    args = [*TINY_TRAIN_ARGS, "--epochs", "5", "--patience", "5", "--ngram-epochs", "3"]
    full = tmp_path / "full"
    assert CliRunner().invoke(app, ["train", str(data), "--out", str(full), *args]).exit_code == 0

    out = tmp_path / "resumed"
    process = subprocess.Popen(
        [*sentiment_command(), "train", str(data), "--out", str(out), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals,
    )  # fmt: skip
    in_bilstm = False
    for line in process.stderr:
        in_bilstm = in_bilstm or line.startswith("Training the BiLSTM")
        if in_bilstm and line.startswith("  the BiLSTM, epoch 2/"):
            break
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 143
    assert "add --resume to the same command to continue" in errors
    assert not out.exists() and (tmp_path / ".resumed.checkpoint" / "state.json").is_file()

    result = CliRunner().invoke(app, ["train", str(data), "--out", str(out), *args, "--resume"])
    assert result.exit_code == 0, result.stderr
    assert "Resuming from" in result.stderr
    assert not (tmp_path / ".resumed.checkpoint").exists()
    expected, resumed = (json.loads((d / "card.json").read_text()) for d in (full, out))
    for phase, history in expected["history"].items():
        for key, values in history.items():
            np.testing.assert_allclose(resumed["history"][phase][key], values, rtol=1e-5, err_msg=f"{phase} {key}")
    assert resumed["training"]["epochs_run"] == expected["training"]["epochs_run"]
    texts = [text for text, _ in make_reviews(50, seed=10)]
    np.testing.assert_allclose(
        Predictor(read_bundle(out)).probabilities(texts), Predictor(read_bundle(full)).probabilities(texts), atol=1e-5
    )


def test_resume_refuses_a_checkpoint_of_another_run(tmp_path):
    from typer.testing import CliRunner

    from sentiment_cli.cli import app

    data = write_csv(tmp_path / "d.csv", make_reviews(40))
    result = CliRunner().invoke(app, ["train", str(data), "--out", str(tmp_path / "m"), "--resume"])
    assert (
        result.exit_code == 1 and "no checkpoint to resume from (run without --resume to start afresh)" in result.stderr
    )
    checkpoint = tmp_path / ".m.checkpoint"
    checkpoint.mkdir()
    (checkpoint / "state.json").write_text(json.dumps({"fingerprint": "another run"}))
    result = CliRunner().invoke(app, ["train", str(data), "--out", str(tmp_path / "m"), "--resume"])
    assert result.exit_code == 1 and "other data or settings" in result.stderr
