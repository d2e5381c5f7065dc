"""I/O faults run as a user would run them: real shells, real descriptors, real pipes (full and closed
streams, head, terminals, file names that are not UTF-8)."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest


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
