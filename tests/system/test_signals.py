"""Signals in child processes: an interrupted training, a table arriving on stdin, a resumed run after
SIGTERM, a hang-up while writing: each exits cleanly and leaves nothing half-written."""

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

from conftest import TINY_TRAIN_ARGS, make_reviews, runner, write_csv
from sentiment_cli.bundle import default_model_dir, read_bundle
from sentiment_cli.cli import app
from sentiment_cli.runtime import Predictor


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
    # Into the next epoch's batches: a signal that lands in Keras's epoch-end callbacks (the moment this line
    # is printed) can crash the process with SIGSEGV (-11), at 3e520cc as now; a known bug, not yet fixed.
    time.sleep(0.3)
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


@pytest.mark.slow
def test_resume_after_sigterm_reaches_the_same_model(tmp_path):

    data = write_csv(tmp_path / "d.csv", make_reviews(600, seed=9))
    args = [*TINY_TRAIN_ARGS, "--epochs", "5", "--patience", "5", "--ngram-epochs", "3"]
    full = tmp_path / "full"
    assert runner.invoke(app, ["train", str(data), "--out", str(full), *args]).exit_code == 0

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

    result = runner.invoke(app, ["train", str(data), "--out", str(out), *args, "--resume"])
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


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return Path(shutil.copytree(default_model_dir(), tmp_path / "m"))


@pytest.mark.parametrize(
    ("sig", "code", "said"), [(signal.SIGHUP, 129, "hung up (SIGHUP)"), (signal.SIGQUIT, 131, "quit (SIGQUIT)")]
)
def test_a_hangup_or_quit_leaves_no_temporary_file(model, tmp_path, sig, code, said):
    """F20: SIGHUP (a closed ssh session) and SIGQUIT end a run as SIGTERM does: its temporary file removed."""
    out = tmp_path / "out.parquet"
    process = subprocess.Popen(
        [sys.executable, "-m", "sentiment_cli", "predict", "-m", str(model), "-", "-o", str(out)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL) for s in (signal.SIGINT, signal.SIGHUP, signal.SIGQUIT)],
    )  # fmt: skip
    process.stdin.write(b"a great film\n")  # its standard input stays open: the run waits for more
    process.stdin.flush()
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.parquet.tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob(".out.parquet.tmp-*")), "the run never began its output"
    process.send_signal(sig)
    process.wait(timeout=60)
    errors = process.stderr.read().decode()
    process.stdin.close()
    assert process.returncode == code, errors
    assert errors.splitlines()[-1] == f"error: {said}"
    assert "Traceback" not in errors
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no output, no temporary file
