"""What a person sees at an 80-column terminal (issue 22): help that fits, summaries not cut, notices wrapped
between words, and (slow) the main screens captured in a real terminal by benchmarks/screens.py."""

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from sentiment_cli.cli import COMMANDS, app
from sentiment_cli.cli import console as output

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_every_help_fits_80_columns_and_the_command_summaries_are_whole():
    top = runner.invoke(app, ["--help"], terminal_width=80)
    assert top.exit_code == 0
    listed = [line for line in top.stdout.splitlines() if line.strip().split(" ")[0] in COMMANDS]
    assert len(listed) == len(COMMANDS)
    for line in listed:  # Click cuts a first sentence longer than about 60 characters to "or..."
        assert not line.endswith("...") and line.endswith("."), line
    for command in COMMANDS:
        shown = runner.invoke(app, [command, "--help"], terminal_width=80)
        assert shown.exit_code == 0
        too_wide = [line for line in shown.stdout.splitlines() if len(line) > 80]
        assert too_wide == [], command  # the examples (\b blocks) are not wrapped by Click: a terminal cuts them


def test_a_notice_on_a_terminal_wraps_between_words_and_stays_one_line_in_a_log(monkeypatch):
    message = "read /data/some/rather/long/path/reviews.csv as CSV with a header row; text column 'text', " * 2
    for terminal, width in ((True, 50), (False, 50)):
        console = Console(file=io.StringIO(), force_terminal=terminal, width=width, color_system=None)
        monkeypatch.setattr(output, "_err", lambda console=console: console)
        output.note(message.strip())
        output.warning(message.strip())
        lines = console.file.getvalue().splitlines()
        if terminal:
            assert max(map(len, lines)) <= width and len(lines) > 4
            words = " ".join(line.strip() for line in lines).split()
            assert words == [*message.split(), "warning:", *message.split()]  # no word cut in two
        else:
            assert lines == [message.strip(), "warning: " + message.strip()]


@pytest.mark.slow
def test_the_main_screens_in_a_real_terminal_at_80_and_120_columns(tmp_path):
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    if not Path(sys.executable).with_name("sentiment").exists():
        pytest.skip("the sentiment console script is not installed next to this Python")
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "screens.py"), "--widths", "80,120", "--save", str(tmp_path)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r for r in reports if r["problems"]] == [] and result.returncode == 0, result.stderr
    assert len(reports) == 2 * 12
    metrics = (tmp_path / "train-metrics-80.txt").read_text()
    card = json.loads((ROOT / "models" / "default" / "card.json").read_text())
    accuracy, rows = card["metrics"]["test"]["accuracy"], card["metrics"]["train"]["n"]
    assert f"{accuracy:.4f}" in metrics and f"{rows:,}" in metrics  # the shipped card's test accuracy, train rows
