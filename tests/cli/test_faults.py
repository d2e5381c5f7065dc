"""I/O faults and hostile files through the CLI: links, FIFOs, formulas in CSV, unreadable training files,
damaged checkpoints (the real shells and pipes are in tests/system/test_streams.py)."""

from __future__ import annotations

import json
import os
import shutil
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


