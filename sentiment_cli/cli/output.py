"""Consoles, output formats and the one place where errors become messages and exit codes.

Results go to stdout; progress, warnings and errors to stderr, so pipes stay clean.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer

from ..errors import SentimentError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ..explain import Explanation
    from ..runtime import Prediction


@functools.cache
def _out() -> Console:
    from rich.console import Console

    console = Console(soft_wrap=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = 120  # no terminal to fit (a file, a pipe, CI logs): room for the wide tables
    return console


@functools.cache
def _err() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def __getattr__(name: str) -> Console:
    """``output.stdout`` and ``output.stderr``: Rich consoles, made (and Rich imported) on first use.

    ``sentiment predict`` writing JSON lines to a pipe never needs Rich, and its import costs
    about a tenth of the start-up budget.
    """
    if name == "stdout":
        return _out()
    if name == "stderr":
        return _err()
    raise AttributeError(name)


EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
EXIT_BROKEN_PIPE = 141


class PredictFormat(StrEnum):
    auto = "auto"
    table = "table"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"


def error(message: str) -> None:
    """One line on stderr (never wrapped, so it stays one line in logs and for grep)."""
    from rich.text import Text

    _err().print(Text("error: ", style="bold red") + Text(message), soft_wrap=True)


def warning(message: str) -> None:
    from rich.text import Text

    _err().print(Text("warning: ", style="bold yellow") + Text(message), soft_wrap=True)


class Terminated(BaseException):
    """SIGTERM, raised where the program is, so that clean-up (``finally``, staged output) runs."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


@contextlib.contextmanager
def reporting() -> Iterator[None]:
    """Map our exceptions, Ctrl-C, SIGTERM and a closed stdout to one line on stderr and an exit code."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_terminated) if in_main_thread else None
    try:
        yield
    except SentimentError as exc:
        error(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        error("interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Terminated:
        error("terminated")
        raise typer.Exit(EXIT_TERMINATED) from None
    except BrokenPipeError:
        _silence_stdout()
        raise typer.Exit(EXIT_BROKEN_PIPE) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _silence_stdout() -> None:
    """After the reader of stdout went away, point stdout at /dev/null so exit does not complain."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def resolve_format(fmt: PredictFormat) -> PredictFormat:
    if fmt is PredictFormat.auto:
        return PredictFormat.table if _is_terminal(sys.stdout) else PredictFormat.jsonl
    return fmt


def preview(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


class PredictionWriter:
    """Writes predictions chunk by chunk in one format, flushing after each chunk."""

    def __init__(self, fmt: PredictFormat) -> None:
        self.format = resolve_format(fmt)
        self._header_done = False

    def write(self, predictions: list[Prediction], explanations: list[Explanation] | None = None) -> None:
        if not predictions:
            return
        if self.format is PredictFormat.table:
            if explanations is None:
                _out().print(self._table(predictions))
            for p, e in zip(predictions, explanations or [], strict=False):
                _out().print(*_explained(p, e), sep="\n")
            return
        out = sys.stdout
        if self.format is PredictFormat.jsonl:
            for i, p in enumerate(predictions):
                record: dict[str, Any] = {"source": p.source, "label": p.label, "probability": round(p.probability, 6)}
                if explanations is not None:
                    record["explanation"] = [
                        {**t.to_dict(), "weight": round(t.weight, 6)} for t in explanations[i].tokens
                    ]
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            writer = csv.writer(out, delimiter="\t" if self.format is PredictFormat.tsv else ",", lineterminator="\n")
            if not self._header_done:
                writer.writerow(["source", "label", "probability"])
                self._header_done = True
            writer.writerows([p.source, p.label, f"{p.probability:.6f}"] for p in predictions)
        out.flush()

    @staticmethod
    def _table(predictions: list[Prediction]) -> Table:
        from rich.table import Table
        from rich.text import Text

        width = _out().width
        source_width = min(max(6, min(40, width // 3)), max(6, *(len(p.source) for p in predictions)))
        # label 8 + probability 11 + source, and 3 characters of padding and rule per column
        review_width = max(10, width - source_width - 8 - 11 - 4 * 3)
        table = Table(show_edge=False, header_style="bold")
        table.add_column("source", min_width=source_width, max_width=source_width, overflow="fold")
        table.add_column("label", min_width=8, no_wrap=True)
        table.add_column("P(positive)", min_width=11, justify="right", no_wrap=True)
        table.add_column("review", width=review_width, no_wrap=True, overflow="ellipsis")
        for p in predictions:
            style = "green" if p.label == "positive" else "red"
            table.add_row(p.source, Text(p.label, style=style), f"{p.probability:.3f}", preview(p.text, review_width))
        return table


def _explained(prediction: Prediction, explanation: Explanation) -> list[Any]:
    """The review with each token coloured by its weight (green toward positive, red toward negative)."""
    from rich.text import Text

    text = prediction.text
    top = max((abs(t.weight) for t in explanation.tokens), default=0.0) or 1.0
    shown = Text(text)
    for t in explanation.tokens:
        strength = abs(t.weight) / top
        if strength < 0.05:
            continue
        level = int(90 + 165 * strength)
        colour = f"rgb(0,{level},0)" if t.weight > 0 else f"rgb({level},0,0)"
        shown.stylize(f"bold white on {colour}", t.start, t.end)
    style = "green" if prediction.label == "positive" else "red"
    head = Text.assemble(
        (prediction.source, "bold"), "  ", (prediction.label, style), f"  P(positive) {prediction.probability:.3f}"
    )
    pushed_up, pushed_down = explanation.strongest()
    lines = [head, shown]
    for name, tokens in (("toward positive", pushed_up), ("toward negative", pushed_down)):
        if tokens:
            lines.append(Text(f"  {name}: " + ", ".join(f"{t.token} ({t.weight:+.3f})" for t in tokens)))
    return [*lines, Text("")]


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
