"""I/O faults and hostile files, run as a user would run them: real shells, real descriptors, real pipes."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sentiment_cli.cli import app

runner = CliRunner()


def default_signals() -> None:
    """Background shells start children with Ctrl-C ignored, and pipes' writers with SIGPIPE as Python left it:
    the child gets the default handling a terminal user's program has."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def shell(script: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """``script`` in bash, with ``sentiment`` meaning this checkout's command."""
    prelude = f'sentiment() {{ {shlex.quote(sys.executable)} -m sentiment_cli "$@"; }}\n'
    return subprocess.run(
        ["bash", "-c", prelude + script], cwd=cwd, capture_output=True, timeout=timeout, preexec_fn=default_signals
    )


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


@pytest.mark.slow
def test_full_or_closed_standard_streams_are_one_line_errors(tiny_model, tmp_path):
    (tmp_path / "r.txt").write_text("a great film\n")
    m = shlex.quote(str(tiny_model))
    cases = {
        f"sentiment predict -m {m} r.txt > /dev/full": "error: standard output: cannot write (No space left on device)",
        f"sentiment predict -m {m} r.txt -f table > /dev/full": "error: standard output: cannot write (No space",
        f"sentiment predict -m {m} r.txt >&-": "error: standard output: closed, cannot write the results",
        f"sentiment predict -m {m} - <&-": "error: standard input: closed, nothing to read",
        f"sentiment predict -m {m} <&-": "error: standard input: closed, nothing to read",
    }
    for script, expected in cases.items():
        result = shell(script, tmp_path)
        assert result.returncode == 1, (script, result.stderr)
        assert one_error(result.stderr).startswith(expected), script
    # a closed stderr is held on /dev/null: the results still come out, and no file can take descriptor 2
    result = shell(f"sentiment predict -m {m} r.txt 2>&-", tmp_path)
    assert result.returncode == 0 and json.loads(result.stdout)["label"] == "positive"


@pytest.mark.slow
def test_table_output_piped_to_head_exits_141_quietly(tiny_model, tmp_path):
    (tmp_path / "many.txt").write_text("".join(f"a great film {i}\n" for i in range(3000)))
    m = shlex.quote(str(tiny_model))
    for fmt in ("table", "jsonl", "csv"):
        script = f"sentiment predict -m {m} --per-line many.txt -f {fmt} | head -1; exit ${{PIPESTATUS[0]}}"
        result = shell(script, tmp_path)
        assert result.returncode == 141, (fmt, result.stderr)
        assert result.stderr == b"", fmt
        assert len(result.stdout.splitlines()) == 1


def test_file_names_that_are_not_utf8_give_valid_utf8_output(tiny_model, tmp_path):
    (tmp_path / "bad\udcff review.txt").write_text("a great film")  # the byte 0xff, as Python names it
    table = tmp_path / "t\udcfe.csv"
    table.write_text("text,label\ngood film,1\n")
    m = shlex.quote(str(tiny_model))
    result = shell(f"sentiment predict -m {m} $'bad\\xff review.txt'", tmp_path)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout.decode("utf-8"))  # strict UTF-8: valid JSON text
    assert record["source"] == "bad\ufffd review.txt" and record["label"] == "positive"
    result = shell(f"sentiment predict -m {m} $'t\\xfe.csv' -o out.csv", tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()[1].startswith("t\ufffd.csv:2,positive,")


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


def test_csv_shown_on_a_terminal_cannot_drive_it_and_piped_csv_keeps_the_bytes(tiny_model, tmp_path):
    import pty

    data = tmp_path / "esc.csv"
    data.write_bytes(b"id,text,note\n\x1b]0;PWNED\x07,great film,\x1b[2J\n")
    command = [sys.executable, "-m", "sentiment_cli", "predict", "-m", str(tiny_model), str(data),
               "--id-column", "id", "--keep-columns", "note", "--format", "csv"]  # fmt: skip
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, stdout=follower, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    os.close(follower)
    shown = b""
    with contextlib.suppress(OSError):  # EIO once the process has gone
        while chunk := os.read(leader, 4096):
            shown += chunk
    process.wait(timeout=60)
    os.close(leader)
    assert b"\x1b" not in shown and b"\x07" not in shown
    assert f"{data}:2,\\x1b]0;PWNED\\x07,".encode() in shown and b",\\x1b[2J" in shown
    piped = subprocess.run(command, capture_output=True, check=True).stdout
    assert b"\x1b]0;PWNED\x07" in piped and b",\x1b[2J\n" in piped  # a file or a pipe gets the data as it is


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


class Endless(io.RawIOBase):
    """``pattern`` repeated for ``size`` bytes (forever: None), made as it is read, like /dev/zero."""

    def __init__(self, pattern: bytes, size: int | None = None) -> None:
        self.pattern, self.left = pattern, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = len(buffer) if self.left is None else min(len(buffer), self.left)
        buffer[:n] = (self.pattern * (n // len(self.pattern) + 1))[:n]
        if self.left is not None:
            self.left -= n
        return n


def test_reviews_longer_than_the_cap_are_cut_as_they_stream(tmp_path):
    from sentiment_cli.reviews import MAX_REVIEW_BYTES, Problem, read_file, read_lines, read_sources

    def flat(chunks):
        return [item for chunk in chunks for item in chunk]

    tracemalloc.start()
    try:
        # 64 MiB on one line, then a short one: the first MiB of the long line is kept, the rest never held
        stream = io.BufferedReader(Endless(b"word ", 64 << 20))
        items = flat(read_lines(stream, "big"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    reviews = [i for i in items if not isinstance(i, Problem)]
    assert [r.source for r in reviews] == ["big:1"] and len(reviews[0].text) == MAX_REVIEW_BYTES
    assert [p.message for p in items if isinstance(p, Problem)] == [
        "big: 1 review (line 1) longer than 1 MiB: only the first 1 MiB of each classified"
    ]
    assert peak < 12 * MAX_REVIEW_BYTES  # a few MiB of buffers and text, not 64
    # /dev/zero: no line ever ends; it is found not to be text after the first MiB, and reading stops
    zeros = flat(read_lines(io.BufferedReader(Endless(b"\0")), "<stdin>"))
    assert [(p.message, p.fatal) for p in zeros] == [
        ("<stdin>: not text (NUL bytes at line 1); skipped from there", True)
    ]
    # a NUL byte on a last line without a newline is found as on any other line
    last = flat(read_lines(io.BytesIO(b"a fine film\nawful \0 film"), "f"))
    assert [getattr(i, "text", None) for i in last] == ["a fine film", None]
    assert last[-1].message == "f: not text (NUL bytes at line 2); skipped from there" and last[-1].fatal
    # a whole file, and all of stdin with --whole: the first MiB, cut before a split UTF-8 character
    big = tmp_path / "big.txt"
    big.write_bytes("é".encode() * MAX_REVIEW_BYTES)
    notice, review = read_file(big)
    assert review.text == "é" * (MAX_REVIEW_BYTES // 2) and not notice.fatal
    assert notice.message == f"{big}: longer than 1 MiB: only its first 1 MiB is classified"
    whole = flat(read_sources(["-"], io.BufferedReader(Endless(b"good ", 8 << 20)), whole=True))
    assert len(whole[-1].text) == MAX_REVIEW_BYTES and "longer than 1 MiB" in whole[0].message


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


def test_a_huge_archive_member_is_read_only_to_the_cap(tmp_path):
    from conftest import make_reviews
    from sentiment_cli.data import load_dataset
    from sentiment_cli.reviews import MAX_REVIEW_BYTES

    archive = tmp_path / "data.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for i, (text, label) in enumerate(make_reviews(20)):
            data = text.encode()
            if i == 3:
                data = b"great " * ((40 << 20) // 6)  # 40 MiB that gzip makes tiny
            member = tarfile.TarInfo(f"train/{'pos' if label else 'neg'}/{i}_{8 if label else 2}.txt")
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    assert archive.stat().st_size < 1 << 20
    dataset = load_dataset(archive)
    assert max(len(text) for text in dataset.splits["train"].texts) == MAX_REVIEW_BYTES
    assert "1 review longer than 1 MiB: only the first 1 MiB of each read" in dataset.notes


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


def test_stale_stages_of_killed_runs_are_removed(tmp_path):
    from sentiment_cli.bundle import Stage

    out = tmp_path / "model"
    dead = subprocess.Popen(["true"])
    dead.wait()  # a process id that no longer runs
    stale = tmp_path / f".model.tmp-{dead.pid}-abc123"
    (stale / "half").mkdir(parents=True)
    alive = tmp_path / f".model.tmp-{os.getpid()}-def456"  # a run still going: left alone
    alive.mkdir()
    other = tmp_path / ".other.tmp-1-x"  # another output's
    other.mkdir()
    stage = Stage(out, force=False)
    try:
        assert stage.cleaned == [stale] and not stale.exists()
        assert alive.is_dir() and other.is_dir()
        assert stage.path.name.startswith(f".model.tmp-{os.getpid()}-")
    finally:
        stage.discard()


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


def test_temporaries_of_killed_runs_are_deleted_and_training_names_them(tmp_path):
    from conftest import TINY_TRAIN_ARGS, write_csv
    from sentiment_cli.files import replacing

    dead = subprocess.Popen(["true"])
    dead.wait()  # a process id that no longer runs
    out = tmp_path / "scored.jsonl"
    stale = tmp_path / f".scored.jsonl.tmp-{dead.pid}"  # predict -o's temporary, its run killed
    stale.write_text("half", encoding="utf-8")
    running = tmp_path / f".scored.jsonl.tmp-{os.getppid()}"  # a run still going: left alone
    running.write_text("half", encoding="utf-8")
    with replacing(out) as target:
        target.write_text("done", encoding="utf-8")
    assert out.read_text(encoding="utf-8") == "done"
    assert not stale.exists() and running.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, running.name])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "link.jsonl"  # an output named through a link: the file it points to is replaced
    link.symlink_to(elsewhere / "real.jsonl")
    beside_link = tmp_path / f".link.jsonl.tmp-{dead.pid}"
    beside_link.write_text("half", encoding="utf-8")
    with replacing(link) as target:
        assert target.parent == elsewhere
        target.write_text("done", encoding="utf-8")
    assert not beside_link.exists() and link.is_symlink()
    assert (elsewhere / "real.jsonl").read_text(encoding="utf-8") == "done"
    link.unlink()
    shutil.rmtree(elsewhere)

    # training deletes a killed run's stage and says so, on stderr, even when the run then fails
    stage = tmp_path / f".m.tmp-{dead.pid}-abc123"
    (stage / "half").mkdir(parents=True)
    two = write_csv(tmp_path / "two.csv", [("good film", 1), ("bad film", 0)])
    result = runner.invoke(app, ["train", str(two), "--out", str(tmp_path / "m"), *TINY_TRAIN_ARGS, "--seed", "1"])
    assert result.exit_code == 1
    assert f"warning: deleted {stage.name}, left beside {tmp_path / 'm'} by a run that was killed\n" in result.stderr
    assert not stage.exists()


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
