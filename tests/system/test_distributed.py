"""Distributed training (``--strategy``): mirrored replicas, two multi-worker processes, the custom loop.

Each distributed run is a process of its own: logical CPU devices and a multi-worker strategy must be set up
before TensorFlow starts, which in this test process it already has. The one-process reference runs in-process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import TINY_TRAIN_ARGS, make_reviews, runner, write_csv
from sentiment_cli.cli import app

pytestmark = pytest.mark.slow

ARGS = [*TINY_TRAIN_ARGS, "--epochs", "4", "--patience", "1", "--ngram-epochs", "2", "--format", "json"]
TWO_CPUS = (
    "import sys, tensorflow as tf; "
    "tf.config.set_logical_device_configuration(tf.config.list_physical_devices('CPU')[0], "
    "[tf.config.LogicalDeviceConfiguration()] * 2); "
    "from sentiment_cli.cli import main; sys.argv[0] = 'sentiment'; main()"
)
"""``sentiment`` with the CPU split into two logical devices, the replicas of ``--strategy mirrored``."""


def noisy_reviews(path: Path, n: int = 300) -> Path:
    """Reviews with every tenth label flipped, so validation accuracy is not a saturated 1.0."""
    rows = [(text, 1 - label if i % 10 == 3 else label) for i, (text, label) in enumerate(make_reviews(n, seed=21))]
    return write_csv(path, rows)


def default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # background shells start children with Ctrl-C ignored


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def run_together(tmp_path: Path, runs: list[tuple[list[str], dict[str, str]]], timeout: float = 150) -> list[dict]:
    """Start every ``(argv, extra environment)`` at once and wait for all; any still running at the deadline
    (or when the test fails) is killed. Returns each run's exit code, stdout and stderr."""
    processes, outputs = [], []
    env = {key: value for key, value in os.environ.items() if key != "TF_CONFIG"}
    try:
        for index, (argv, extra) in enumerate(runs):
            out, err = tmp_path / f"run{index}.out", tmp_path / f"run{index}.err"
            with open(out, "w") as stdout, open(err, "w") as stderr:
                command = [sys.executable, *argv]
                environment = {**env, **extra}
                processes.append(
                    subprocess.Popen(command, stdout=stdout, stderr=stderr, env=environment, preexec_fn=default_signals)
                )
            outputs.append((out, err))
        deadline = time.monotonic() + timeout
        for process in processes:
            process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return [
        {"code": process.returncode, "stdout": out.read_text(), "stderr": err.read_text()}
        for process, (out, err) in zip(processes, outputs, strict=True)
    ]


def train_here(data: Path, out: Path, *extra: str) -> dict:
    result = runner.invoke(app, ["train", str(data), "--out", str(out), *ARGS, *extra])
    assert result.exit_code == 0, result.stderr
    return json.loads((out / "card.json").read_text())


def card(folder: Path) -> dict:
    return json.loads((folder / "card.json").read_text())


def validation_accuracy(model: dict) -> float:
    return model["metrics"]["validation"]["accuracy"]


def test_mirrored_on_two_logical_cpus_fits_what_one_device_fits(tmp_path):
    data = noisy_reviews(tmp_path / "d.csv")
    one = train_here(data, tmp_path / "one")
    argv = ["-c", TWO_CPUS, "train", str(data), "--out", str(tmp_path / "two"), *ARGS, "--strategy", "mirrored"]
    [run] = run_together(tmp_path, [(argv, {})])
    assert run["code"] == 0, run["stderr"]
    two = card(tmp_path / "two")
    assert two["training"]["strategy"] == "mirrored" and two["training"]["replicas"] == 2
    # --batch-size is global: two replicas take the same steps as one device, so the fit is the same up to
    # rounding (a per-replica batch would halve the steps and move these numbers far more).
    for key in ("loss", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(two["history"]["the BiLSTM"][key], one["history"]["the BiLSTM"][key], rtol=1e-3)
    assert two["training"]["epochs_run"] == one["training"]["epochs_run"]
    assert abs(validation_accuracy(two) - validation_accuracy(one)) <= 0.03
    assert 0.8 <= validation_accuracy(one) < 1.0  # the flipped labels keep it off the ceiling


def test_two_worker_processes_train_like_one_and_only_the_chief_writes(tmp_path):
    data = noisy_reviews(tmp_path / "d.csv")
    one = train_here(data, tmp_path / "one")
    hosts = [f"localhost:{free_port()}", f"localhost:{free_port()}"]
    runs = []
    for index in range(2):
        tf_config = {"cluster": {"worker": hosts}, "task": {"type": "worker", "index": index}}
        argv = ["-m", "sentiment_cli", "train", str(data), "--out", str(tmp_path / f"out{index}"), *ARGS]
        runs.append(([*argv, "--strategy", "multi-worker"], {"TF_CONFIG": json.dumps(tf_config)}))
    chief, worker = run_together(tmp_path, runs)
    assert chief["code"] == 0, chief["stderr"]
    assert worker["code"] == 0, worker["stderr"]
    assert "the chief (worker 0) writes" in worker["stderr"]

    # Only the chief's directory exists: no model, stage or checkpoint of the other worker's.
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("run")) == ["d.csv", "one", "out0"]
    two = card(tmp_path / "out0")
    assert two["training"]["strategy"] == "multi-worker"
    assert (two["training"]["workers"], two["training"]["replicas"]) == (2, 2)
    # Both workers fitted the same network: the metrics each printed agree.
    assert json.loads(chief["stdout"])["metrics"] == json.loads(worker["stdout"])["metrics"]
    # Each worker batched half of every epoch, the same number of global steps: the same accuracy within noise.
    assert abs(validation_accuracy(two) - validation_accuracy(one)) <= 0.05
    assert abs(min(two["history"]["the BiLSTM"]["val_loss"]) - min(one["history"]["the BiLSTM"]["val_loss"])) < 0.1
    # Early stopping across workers kept the best epoch's weights: the BiLSTM alone scores what it scored then.
    history, best = two["history"]["the BiLSTM"], two["training"]["best_epoch"]["the BiLSTM"]
    assert best == int(np.argmin(history["val_loss"])) + 1
    assert two["metrics"]["branches"]["bilstm"]["validation"] == pytest.approx(history["val_accuracy"][best - 1])

    texts = tmp_path / "reviews.txt"
    texts.write_text("a wonderful superb film\nawful dull and boring\n", encoding="utf-8")
    result = runner.invoke(app, ["predict", "--model", str(tmp_path / "out0"), "--per-line", str(texts)])
    assert result.exit_code == 0, result.stderr
    assert [json.loads(line)["label"] for line in result.stdout.splitlines()] == ["positive", "negative"]


def keras_weights(folder: Path) -> list[np.ndarray]:
    from sentiment_cli.inspection import load_keras

    return load_keras(folder / "model.keras").get_weights()


def test_custom_loop_on_one_worker_matches_fit_and_repeats_exactly(tmp_path):
    data = noisy_reviews(tmp_path / "d.csv")
    fitted = train_here(data, tmp_path / "fit")
    argv = ["-m", "sentiment_cli", "train", str(data), *ARGS, "--strategy", "multi-worker"]
    first, second = run_together(tmp_path, [([*argv, "--out", str(tmp_path / name)], {}) for name in ("a", "b")])
    assert first["code"] == 0, first["stderr"]
    assert second["code"] == 0, second["stderr"]
    a, b = card(tmp_path / "a"), card(tmp_path / "b")
    assert (a["training"]["workers"], a["training"]["replicas"]) == (1, 1)
    # The same seed twice: the same weights, bit for bit.
    for x, y in zip(keras_weights(tmp_path / "a"), keras_weights(tmp_path / "b"), strict=True):
        np.testing.assert_array_equal(x, y)
    assert a["history"] == b["history"]
    # One worker takes exactly the batches of Keras fit on one device: the same steps, the same model.
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(a["history"]["the BiLSTM"][key], fitted["history"]["the BiLSTM"][key], rtol=1e-5)
    for x, y in zip(keras_weights(tmp_path / "a"), keras_weights(tmp_path / "fit"), strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-6)
    assert a["metrics"]["validation"]["accuracy"] == fitted["metrics"]["validation"]["accuracy"]
