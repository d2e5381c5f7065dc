"""Peak memory of ``sentiment predict`` on hostile input sizes, and how fast it stops on SIGTERM.

Each case runs ``sentiment predict`` (the shipped model) in its own process, reading peak resident memory
(VmHWM from /proc/PID/status, polled while it runs, and the kernel's own figure from wait4 at the end),
then runs it again and sends SIGTERM after two seconds, timing the exit. Figures are printed, not asserted.

    python benchmarks/bench_memory.py [--model DIR] [--keep DIR]

Cases: ``predict - < /dev/zero`` (under ``timeout 20``), a 2 GB sparse file (one review, and ``--per-line``),
a 300 MB single line on stdin, 30 files of 20 MB each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_MB = 300


def make_inputs(folder: Path) -> dict[str, tuple[list[str], Path | list[str] | None]]:
    """Each case: (arguments after ``predict``, stdin: a file, a command whose output it is, or None)."""
    sparse = folder / "sparse.txt"
    with open(sparse, "wb") as handle:
        handle.truncate(2 * 10**9)  # 2 GB of holes: zeros, no disk
    line = folder / "line.txt"
    with open(line, "wb") as handle:
        block = b"a fine film with a weak ending " * 4096
        for _ in range(300 * 10**6 // len(block)):
            handle.write(block)
        handle.write(b"\n")
    files = []
    chunk = b"the acting was wooden and the plot made no sense " * 20_000  # ~1 MB
    for i in range(30):
        path = folder / f"big{i:02}.txt"
        with open(path, "wb") as handle:
            for _ in range(20):
                handle.write(chunk)
        files.append(str(path))
    return {
        "predict - < /dev/zero": (["-"], Path("/dev/zero")),
        "predict sparse-2GB.txt (one review)": ([str(sparse)], None),
        "predict --per-line sparse-2GB.txt": (["--per-line", str(sparse)], None),
        "predict - < 300MB-line.txt": (["-"], line),
        "predict 30 x 20MB files": (files, None),
        "yes 'a fine film' | predict - (endless)": (["-"], ["yes", "a fine film with a weak ending"]),
        "endless line, no newline | predict -": (["-"], ["sh", "-c", "yes 'a fine film' | tr -d '\\n'"]),
    }


def default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def vm_hwm(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])  # kB
    except OSError:
        pass
    return 0


def run(command: list[str], stdin: Path | list[str] | None, *, terminate_after: float | None, timeout: float) -> dict:
    started = time.monotonic()
    producer = None
    if isinstance(stdin, list):
        producer = subprocess.Popen(stdin, stdout=subprocess.PIPE, preexec_fn=default_signals)
        source = producer.stdout
    else:
        source = open(stdin or os.devnull, "rb")  # noqa: SIM115
    with source:
        process = subprocess.Popen(
            command, stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=default_signals
        )
    peak = 0
    sent = None
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, vm_hwm(process.pid))
        now = time.monotonic()
        if terminate_after is not None and sent is None and now - started >= terminate_after:
            process.send_signal(signal.SIGTERM)
            sent = now
        if now - started > timeout and sent is None:
            process.send_signal(signal.SIGTERM)
            sent = now
        time.sleep(0.02)
    ended = time.monotonic()
    process.returncode = os.waitstatus_to_exitcode(status)
    if producer is not None:
        producer.kill()  # our own child, by its handle
        producer.wait()
    errors = process.stderr.read().decode("utf-8", "replace").strip().splitlines()
    return {
        "seconds": ended - started,
        "peak_mb": max(peak, usage.ru_maxrss) / 1024,
        "code": process.returncode,
        "exit_after_sigterm": None if sent is None else ended - sent,
        "stderr": errors[-2:],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model directory (default: the shipped model)")
    parser.add_argument("--keep", type=Path, help="make the inputs here and keep them (default: a temporary folder)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-memory-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        cases = make_inputs(folder)
        base = [sys.executable, "-m", "sentiment_cli", "predict", "--format", "jsonl"]
        if args.model:
            base += ["--model", args.model]
        print(f"{'case':40} {'peak MB':>8} {'seconds':>8} {'exit':>5} {'SIGTERM→exit s':>15} {'peak MB':>8}")
        for name, (inputs, stdin) in cases.items():
            whole = run(["timeout", "20", *base, *inputs], stdin, terminate_after=None, timeout=60)
            killed = run([*base, *inputs], stdin, terminate_after=2.0, timeout=60)
            stop = killed["exit_after_sigterm"]
            stopped = "-" if stop is None else f"{stop:.2f} ({killed['code']})"
            print(
                f"{name:40} {whole['peak_mb']:8.0f} {whole['seconds']:8.1f} {whole['code']:5} "
                f"{stopped:>15} {killed['peak_mb']:8.0f}"
            )
            for line in whole["stderr"]:
                print(f"    {line[:150]}")
        print(f"(limit: {LIMIT_MB} MB; 'exit' 124 = stopped by timeout 20, 143 = SIGTERM)")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
