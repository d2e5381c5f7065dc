"""The main screens as a person sees them: each command run in a real terminal (tmux) at 80 and 120 columns,
captured, and checked: no line wider than the terminal (a wrapped line, joined again by ``capture-pane -J``)
and no number cut by an ellipsis (``0.9…``). Issue 22 (1): a table that fits a test's Console can still be cut
in a real terminal.

    python benchmarks/screens.py [--widths 80,120] [--save DIR] [--model DIR]

Prints each problem (screen, width, line) and exits 1 if there is any; ``--save`` keeps every capture.
Needs tmux and the ``sentiment`` console script beside this Python.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

COMMANDS = ("predict", "train", "evaluate", "inspect", "score", "serve")
ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "models" / "default"
CUT_NUMBER = re.compile(r"\d[\d,.]*…|…[\d,.]*\d")
HASH_PREFIX = re.compile(r"(?<![0-9a-f,.])[0-9a-f]{12}…")
"""A sha256 shown by its first 12 hex digits, on purpose (``sha256 e37cbef61285…``, the prefix on a line of
its own when the cell wraps): not a cut number."""
CUT_SUMMARY = re.compile(r"\w\.\.\.$")  # Click's help cutting a command's summary: "or standard..."
DONE = "__screen_done__"

REVIEWS = [
    ("A wonderful film, the best acting I have seen all year.", "positive"),
    ("Not bad at all.", "positive"),
    ("Dull, far too long, and the ending made no sense whatsoever.", "negative"),
    ("I would not watch it again: a waste of two hours.", "negative"),
    ("Charming and funny from start to finish, a real delight.", "positive"),
    ("The plot was thin and the dialogue wooden.", "negative"),
]


def _data(folder: Path) -> dict[str, Path]:
    reviews = folder / "reviews.txt"
    reviews.write_text("\n".join(text for text, _ in REVIEWS) + "\n", encoding="utf-8")
    table = folder / "reviews.csv"
    table.write_text(
        "review_id,text,label\n" + "".join(f"r{i},\"{t}\",{label}\n" for i, (t, label) in enumerate(REVIEWS)),
        encoding="utf-8",
    )
    one = folder / "one.txt"
    one.write_text(REVIEWS[1][0] + "\n", encoding="utf-8")
    return {"reviews": reviews, "table": table, "one": one}


def screens(model: Path, files: dict[str, Path]) -> dict[str, str]:
    """Screen name -> the shell command that draws it."""
    sentiment = shlex.quote(str(Path(sys.executable).with_name("sentiment")))
    python = shlex.quote(sys.executable)
    m = f"--model {shlex.quote(str(model))}"
    card = shlex.quote(str(model / "card.json"))
    metrics = (
        "import json, sys; from sentiment_cli.bundle import Card; from sentiment_cli.cli import console, render; "
        "c = Card.from_dict(json.load(open(sys.argv[1]))); "
        "console.stdout.print(render.metrics_table(c.metrics, c.branches))"
    )
    return {
        "train-metrics": f"{python} -c {shlex.quote(metrics)} {card}",
        "evaluate": f"{sentiment} evaluate {shlex.quote(str(files['table']))} {m}",
        "predict-table": f"{sentiment} predict {shlex.quote(str(files['table']))} {m} -f table",
        "predict-explain": f"{sentiment} predict {shlex.quote(str(files['one']))} {m} --explain",
        "inspect": f"{sentiment} inspect {shlex.quote(str(model))}",
        "help": f"{sentiment} --help",
    } | {f"{command}-help": f"{sentiment} {command} --help" for command in COMMANDS}


SOCKET = f"screens-{os.getpid()}"
"""This script's own tmux server (``tmux -L``), started once and ended at the end: never the user's."""


def tmux(*args: str, **options: Any) -> subprocess.CompletedProcess:
    return subprocess.run(["tmux", "-L", SOCKET, *args], **options)


def capture(command: str, width: int, timeout: float = 180.0) -> str:
    """What ``command`` leaves on a ``width``-column tmux terminal, wrapped lines joined (``-J``)."""
    session = f"screen-{uuid.uuid4().hex[:8]}"
    shell = f"unset COLUMNS LINES; {command}; echo {DONE}; sleep 600"
    tmux("new-session", "-d", "-s", session, "-x", str(width), "-y", "50",
         f"bash --norc --noprofile -c {shlex.quote(shell)}", check=True)  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = tmux("capture-pane", "-p", "-J", "-S", "-5000", "-t", session,
                        capture_output=True, text=True, check=True).stdout  # fmt: skip
            if DONE in text:
                break
            time.sleep(0.5)
        else:
            raise TimeoutError(f"{command!r} did not finish within {timeout:.0f} s")
        return text.split(DONE)[0].rstrip() + "\n"
    finally:
        tmux("kill-session", "-t", session, check=False, capture_output=True)


def problems(text: str, width: int, name: str = "") -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.rstrip()
        if len(line) > width:
            found.append(f"line {number} is {len(line)} columns wide: {line[:width]}")
        if CUT_NUMBER.search(HASH_PREFIX.sub("HASH", line)):
            found.append(f"line {number} cuts a number: {line}")
        if name == "help" and CUT_SUMMARY.search(line):
            found.append(f"line {number} cuts a summary: {line}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="80,120")
    parser.add_argument("--save", type=Path, help="keep each capture as DIR/NAME-WIDTH.txt")
    parser.add_argument("--model", type=Path, default=SHIPPED)
    parser.add_argument("--only", help="comma-separated screen names")
    args = parser.parse_args(argv)
    if shutil.which("tmux") is None:
        print("tmux is not installed", file=sys.stderr)
        return 2
    widths = [int(w) for w in args.widths.split(",")]
    # a session that outlives every capture: the server does not exit (and race the next one) between screens
    tmux("new-session", "-d", "-s", "keeper", "sleep 3600", check=True)
    tmux("set-option", "-g", "history-limit", "5000", check=True)
    try:
        return _run(args, widths)
    finally:
        tmux("kill-server", check=False, capture_output=True)


def _run(args: argparse.Namespace, widths: list[int]) -> int:
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        shown = screens(args.model, _data(Path(tmp)))
        chosen = args.only.split(",") if args.only else list(shown)
        for name in chosen:
            for width in widths:
                text = capture(shown[name], width)
                if args.save:
                    args.save.mkdir(parents=True, exist_ok=True)
                    (args.save / f"{name}-{width}.txt").write_text(text, encoding="utf-8")
                found = problems(text, width, name)
                failed += len(found)
                print(json.dumps({"screen": name, "width": width, "lines": len(text.splitlines()),
                                  "problems": found}, ensure_ascii=False))  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
