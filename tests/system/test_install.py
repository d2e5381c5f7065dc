"""The base install predicts without TensorFlow; what needs the [train] extra says how to get it."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Runs the CLI in a fresh interpreter where `import tensorflow` (and keras) fail, as in a base install.
WITHOUT_TENSORFLOW = """
import sys
sys.modules["tensorflow"] = None
sys.modules["keras"] = None
sys.argv = ["sentiment", *sys.argv[1:]]
from sentiment_cli.cli import main
main()
"""


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_TENSORFLOW, *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def test_predict_needs_no_tensorflow():
    result = _run("predict", "-", stdin="A wonderful, moving film.\n")
    assert result.returncode == 0, result.stderr
    assert '"label": "positive"' in result.stdout


@pytest.mark.parametrize("command", [["train", "x.csv", "--out", "m"], ["inspect"]])
def test_training_and_inspect_say_how_to_install_tensorflow(tmp_path, command):
    data = tmp_path / "x.csv"
    data.write_text("text,label\n" + "A great film,1\nAn awful film,0\n" * 3)
    args = [str(data) if a == "x.csv" else str(tmp_path / a) if a == "m" else a for a in command]
    result = _run(*args)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: training and Keras files need TensorFlow, which is not installed "
        "(pip install 'sentiment-cli[train]', or from a clone: pip install '.[train]')"
    ]
