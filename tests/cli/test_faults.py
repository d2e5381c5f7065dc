"""I/O faults and hostile files through the CLI: links, FIFOs, formulas in CSV, unreadable training files,
damaged checkpoints (the real shells and pipes are in tests/system/test_streams.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import runner
from sentiment_cli.cli import app


def the_error(stderr: str) -> str:
    """The one error of a run that may first say what it read: the last line, and the only one led by error:."""
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr and [line for line in lines if line.startswith("error: ")] == lines[-1:]
    return lines[-1]


def one_error(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    assert "Traceback" not in stderr.decode("utf-8", "replace")
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


def test_output_through_a_link_a_fifo_or_onto_a_private_file(tiny_model, tmp_path):
    import threading

    review = tmp_path / "review.txt"
    review.write_text("a great superb film", encoding="utf-8")
    predict = ["predict", "-m", str(tiny_model), str(review), "--format", "csv", "-o"]
    expected = runner.invoke(app, ["predict", "-m", str(tiny_model), str(review), "--format", "csv"]).stdout
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "scored.csv"
    real.write_text("old\n", encoding="utf-8")
    real.chmod(0o600)
    link = tmp_path / "scored.csv"
    link.symlink_to(real)
    assert runner.invoke(app, [*predict, str(link)]).exit_code == 0
    assert link.is_symlink() and real.read_text(encoding="utf-8") == expected  # the link stays, its file replaced
    assert real.stat().st_mode & 0o777 == 0o600  # and keeps its permissions
    fifo = tmp_path / "scored.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = runner.invoke(app, [*predict, str(fifo)])
    reader.join(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert received == [expected.encode()] and fifo.is_fifo()  # written into, not replaced by a file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real", "review.txt", "scored.csv", "scored.fifo"]


def test_csv_output_neutralises_formulas_and_keeps_numbers(tiny_model, tmp_path):
    data = tmp_path / "f.csv"
    data.write_text('text,n,f\ngood film,-3,"=HYPERLINK(""http://evil.example"")"\nbad film,+1.5e3,@SUM(A1)\n')
    args = ["predict", "-m", str(tiny_model), str(data), "--keep-columns", "n,f", "-f", "csv"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    rows = [line.split(",", 3) for line in result.stdout.splitlines()[1:]]
    assert [row[3] for row in rows] == ['-3,"\'=HYPERLINK(""http://evil.example"")"', "+1.5e3,'@SUM(A1)"]
    result = runner.invoke(app, [*args, "--no-csv-safe"])
    assert result.stdout.splitlines()[2].endswith(",+1.5e3,@SUM(A1)")


def _keras_variant(source: Path, target: Path, mutate=None, extra: int = 0) -> Path:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name in src.namelist():
            data = src.read(name)
            if name == "config.json" and mutate is not None:
                config = json.loads(data)
                mutate(config)
                data = json.dumps(config).encode()
            out.writestr(name, data)
        if extra:
            with out.open("padding.bin", "w", force_zip64=True) as pad:
                for _ in range(extra >> 24):
                    pad.write(bytes(1 << 24))
    return target


@pytest.mark.slow
def test_keras_files_that_are_not_models_are_named_for_what_they_are(tiny_model, tmp_path):
    from sentiment_cli.errors import ModelError
    from sentiment_cli.inspection import MAX_KERAS_INFLATED, load_keras

    keras_file = tiny_model / "model.keras"
    text = tmp_path / "text.keras"
    text.write_text("hello")
    with pytest.raises(ModelError, match=r"not a Keras model file \(a \.keras file is a zip archive"):
        load_keras(text)

    def bad_units(config):
        next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Dense")["config"]["units"] = "x"

    def custom(config):
        config["config"]["layers"][1]["class_name"] = "MyLayer"

    with pytest.raises(ModelError, match="a layer's configuration is not valid .*units") as caught:
        load_keras(_keras_variant(keras_file, tmp_path / "units.keras", bad_units))
    assert "custom" not in str(caught.value)
    with pytest.raises(ModelError, match="custom layer .*MyLayer"):
        load_keras(_keras_variant(keras_file, tmp_path / "custom.keras", custom))
    bomb = _keras_variant(keras_file, tmp_path / "bomb.keras", extra=MAX_KERAS_INFLATED + (1 << 24))
    assert bomb.stat().st_size < 4 << 20
    with pytest.raises(ModelError, match="would inflate to .* not loaded"):
        load_keras(bomb)


def test_inspect_loads_the_bytes_it_verified(tiny_model, tmp_path, monkeypatch):
    import sentiment_cli.inspection as inspection

    model = shutil.copytree(tiny_model, tmp_path / "model")
    real = inspection.read_bundle

    def read_then_swap(path, **kwargs):
        bundle = real(path, **kwargs)
        (model / "model.keras").write_bytes(b"swapped after hashing")  # the race the hash must win
        return bundle

    monkeypatch.setattr(inspection, "read_bundle", read_then_swap)
    report = inspection.inspect_model(model)
    assert report.total_params > 0 and report.card is not None


def test_unreadable_files_in_a_training_folder_are_named_and_counted(imdb_like, tiny_model, tmp_path):
    from sentiment_cli.data import load_dataset

    folder = shutil.copytree(imdb_like, tmp_path / "aclImdb")
    (folder / "train" / "pos" / "900_9.txt").symlink_to(tmp_path / "nowhere")
    os.mkfifo(folder / "train" / "neg" / "901_1.txt")  # opened, it would wait for a writer forever
    (folder / "train" / "neg" / "902_1.txt").symlink_to("/proc/self/mem")  # reading it fails
    dataset = load_dataset(folder)
    assert sorted(dataset.skipped) == [
        f"{folder}/train/neg/901_1.txt: not a regular file (a FIFO)",
        f"{folder}/train/neg/902_1.txt: Input/output error",
        f"{folder}/train/pos/900_9.txt: a dangling symbolic link",
    ]
    assert dataset.report()["files_skipped"] == 3 and len(dataset.splits["train"]) == 400
    result = runner.invoke(app, ["evaluate", "-m", str(tiny_model), str(folder), "--split", "train", "-f", "json"])
    assert result.exit_code == 1  # as for any file that could not be read
    assert sum(line.startswith("warning: skipped ") for line in result.stderr.splitlines()) == 3
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == ["error: 3 files of the data could not be read (named above); the evaluation covers the others"]
    assert json.loads(result.stdout)["n"] == 400


def test_a_fifo_as_training_data_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)  # no writer: opening it to read would hang
    result = runner.invoke(app, ["train", str(fifo), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert one_error(result.stderr.encode()) == (
        f"error: {fifo}: not a regular file (a table is read more than once; save it to a file first)"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


def test_a_column_name_given_twice_is_named(tiny_model, tmp_path):
    from sentiment_cli.data import load_dataset

    data = tmp_path / "dup.csv"
    data.write_text("text,label,text\ngreat film,1,awful\nawful film,0,great\n")
    expected = f"{data}: column name given twice: 'text' (the repeat is 'text.1'); the first is used"
    dataset = load_dataset(data)
    assert expected in dataset.notes
    assert dataset.splits["train"].texts == ["great film", "awful film"]  # the first 'text', as said
    result = runner.invoke(app, ["predict", "-m", str(tiny_model), str(data)])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"read {data} as CSV with a header row; text column 'text' (chosen automatically: text)",
        f"warning: {expected}",
    ]
    assert [json.loads(line)["label"] for line in result.stdout.splitlines()] == ["positive", "negative"]


def test_a_damaged_resume_checkpoint_is_named(tmp_path):
    import numpy as np

    from conftest import make_reviews, write_csv
    from sentiment_cli.checkpoint import Checkpoint, State
    from sentiment_cli.errors import NoCheckpoint

    data = write_csv(tmp_path / "d.csv", make_reviews(40))
    checkpoint = tmp_path / ".m.checkpoint"
    checkpoint.mkdir()
    for state in ("[1, 2]", '{"fingerprint": 5}', '{"fingerprint": "x", "epochs_done": "2"}', "{not json", ""):
        (checkpoint / "state.json").write_text(state)
        result = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m"), "--resume"])
        assert result.exit_code == 1, result.stderr
        assert the_error(result.stderr).startswith(f"error: {checkpoint}: the checkpoint is damaged (state.json")
        assert result.stderr.rstrip().endswith("(run without --resume to start afresh)")
    saved = Checkpoint(checkpoint, "run")
    saved.save(State("run"), [np.ones(3)], {"optimizer": [np.zeros(2)]})
    (checkpoint / "model.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(NoCheckpoint, match=r"model\.npz: the checkpoint is damaged \(BadZipFile"):
        saved.arrays("model")


def test_a_full_disk_while_checkpointing_names_the_checkpoint_and_leaves_no_partial_file(tmp_path, monkeypatch):
    import errno

    import numpy as np

    from sentiment_cli.checkpoint import Checkpoint, State
    from sentiment_cli.errors import OutputError

    checkpoint = Checkpoint(tmp_path / ".m.checkpoint", "run")
    checkpoint.save(State("run", epochs_done=1), [np.ones(3)], {})

    def full(path, *arrays):
        Path(path).write_bytes(b"half an arr")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", full)
    with pytest.raises(OutputError, match=r"\.m\.checkpoint: cannot write the checkpoint \(no space left\)") as caught:
        checkpoint.save(State("run", epochs_done=2), [np.ones(3)], {})
    assert "free some space and resume the run" in str(caught.value)
    assert sorted(p.name for p in checkpoint.path.iterdir()) == ["model.npz", "state.json"]  # epoch 1, whole
    assert json.loads((checkpoint.path / "state.json").read_text())["epochs_done"] == 1


def test_out_dot_is_refused_before_training(tmp_path, monkeypatch):
    from conftest import make_reviews, write_csv

    data = write_csv(tmp_path / "d.csv", make_reviews(40))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for out in (".", "..", str(work), "./"):
        result = runner.invoke(app, ["train", str(data), "--out", out, "--force"])
        assert result.exit_code == 1, out
        assert "is the current directory or holds it" in the_error(result.stderr)
    assert list(work.iterdir()) == []


def lying_zip(source: Path, target: Path, member: str, inflated: int, declared: int) -> Path:
    """``source`` with ``member`` replaced by ``inflated`` bytes of zeros (deflated: a few KB per MB), and the
    zip's central directory patched to say it holds ``declared`` bytes (what the red team's mklie.py did)."""
    import struct

    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name in src.namelist():
            if name != member:
                out.writestr(name, src.read(name))
                continue
            with out.open(name, "w", force_zip64=True) as handle:
                for _ in range(inflated >> 20):
                    handle.write(bytes(1 << 20))
    data = bytearray(target.read_bytes())
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) >= 0:
        length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + length] == member.encode():
            struct.pack_into("<I", data, at + 24, declared)
        at += 4
    target.write_bytes(bytes(data))
    return target


@pytest.mark.slow
def test_a_keras_zip_directory_that_lies_about_sizes_is_never_inflated_whole(tiny_model, tmp_path):
    """The zip directory says model.weights.h5 holds 1,000 bytes; it inflates to 200 MB. Before, Python's
    ZipExtFile.read() inflated all of it inside Keras before failing on the CRC (2.78 GB of RSS for 1.6 GB):
    now members are inflated in 1 MiB blocks into a private copy, counted, and the lie fails its CRC."""
    import tracemalloc

    from sentiment_cli.errors import ModelError
    from sentiment_cli.inspection import load_keras

    lie = lying_zip(tiny_model / "model.keras", tmp_path / "lie.keras", "model.weights.h5", 200 << 20, 1000)
    assert lie.stat().st_size < 2 << 20
    tracemalloc.start()
    try:
        with pytest.raises(ModelError, match=r"lie.keras: not a readable .keras file \(BadZipFile: Bad CRC-32"):
            load_keras(lie)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak:,} bytes"
    result = runner.invoke(app, ["inspect", str(lie)])
    assert result.exit_code == 1 and result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


def test_temporaries_locked_by_a_run_in_another_pid_namespace_are_left_alone(tmp_path):
    """Another container on a shared volume: its run's process id means nothing here (or is dead here), but it
    holds its temporaries' locks, so neither predict -o's file nor train's stage is deleted under it; once it
    is gone (its locks with it), the next run deletes them as a killed run's."""
    from sentiment_cli.bundle import Stage
    from sentiment_cli.files import replacing

    dead = subprocess.Popen(["true"])
    dead.wait()  # the other run's process id, as seen from this namespace: no such process
    temporary = tmp_path / f".scored.jsonl.tmp-{dead.pid}"
    temporary.write_text("half of a live run's output", encoding="utf-8")
    stage = tmp_path / f".m.tmp-{dead.pid}-abc123"
    (stage / "half").mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         "fds = [os.open(p, os.O_RDONLY) for p in sys.argv[1:]]\n"
         "[fcntl.flock(fd, fcntl.LOCK_EX) for fd in fds]\nprint('held', flush=True)\ntime.sleep(60)",
         str(temporary), str(stage)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == "held\n"
        with replacing(tmp_path / "scored.jsonl") as target:
            target.write_text("done", encoding="utf-8")
        assert temporary.read_text(encoding="utf-8") == "half of a live run's output"
        mine = Stage(tmp_path / "m", force=False)
        mine.discard()
        assert mine.cleaned == [] and (stage / "half").is_dir()
    finally:
        holder.kill()
        holder.wait()
    with replacing(tmp_path / "scored.jsonl") as target:
        target.write_text("again", encoding="utf-8")
    mine = Stage(tmp_path / "m", force=False)
    mine.discard()
    assert mine.cleaned == [stage] and not stage.exists() and not temporary.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scored.jsonl"]


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["hybrid", "seed"])
def test_training_that_diverges_is_named_and_leaves_nothing(tmp_path, imdb_like, arch):
    """A learning rate past the option's bound (1e308, set through a frozen config) sends the weights to NaN:
    the run stops at that epoch with TrainingDiverged, not a traceback from scikit-learn, and leaves neither
    the model directory, its stage, nor a checkpoint to resume (it would only diverge again)."""
    from sentiment_cli.config import ModelConfig, TrainConfig
    from sentiment_cli.data import load_dataset
    from sentiment_cli.errors import TrainingDiverged
    from sentiment_cli.training import checkpoint_dir, train

    config = TrainConfig(epochs=2, batch_size=16)
    object.__setattr__(config, "learning_rate", 1e308)
    model = ModelConfig(arch=arch, vocab_size=60, max_length=24, embedding_dim=8, lstm_units=4, dense_units=4,
                        ngram_vocab_size=500)  # fmt: skip
    out = tmp_path / "m"
    with pytest.raises(TrainingDiverged, match=r"^training the BiLSTM diverged at epoch 1 \((val )?loss (nan|inf)\)"):
        train(load_dataset(imdb_like), out, model, config)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert not checkpoint_dir(out).exists()


def test_a_diverged_run_is_one_line_with_a_cli_hint(tmp_path, monkeypatch):
    from sentiment_cli.errors import TrainingDiverged

    def diverge(*args, **kwargs):
        raise TrainingDiverged("training the BiLSTM diverged at epoch 3 (loss nan): its weights are no longer "
                               "finite numbers; the learning rate is too high")  # fmt: skip

    import sentiment_cli.training

    monkeypatch.setattr(sentiment_cli.training, "train", diverge)
    data = tmp_path / "d.csv"
    data.write_text("text,label\ngood film,1\nbad film,0\n" * 3)
    result = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m"), "--learning-rate", "1"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "error: training the BiLSTM diverged at epoch 3 (loss nan): its weights are no longer finite numbers; "
        "the learning rate is too high (lower --learning-rate)"
    )
