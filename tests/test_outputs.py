"""What commands write: never over their own inputs or the model's files, checked before any work; every JSON
value valid JSON; everything user- or card-supplied printed inert (the red-team's F1, F2, F4, F5, F19, F20).

Quick tests: they use copies of the shipped model, never train one."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sentiment_cli.bundle import default_model_dir
from sentiment_cli.cli import app

runner = CliRunner()


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its sha256: what a refused command must leave as it was."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return Path(shutil.copytree(default_model_dir(), tmp_path / "m"))


@pytest.fixture
def workdir(tmp_path: Path, model: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with reviews in several forms and the model, as the current directory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.txt").write_text("A great film\n")
    (tmp_path / "t.csv").write_text("text,label\nA wonderful film,pos\nThe worst movie,neg\n")
    (tmp_path / "d").mkdir()
    pq.write_table(pa.table({"text": ["A wonderful film", "The worst movie"]}), tmp_path / "d" / "reviews.parquet")
    (tmp_path / "d" / "notes.txt").write_text("keep me\n")
    os.link(tmp_path / "t.csv", tmp_path / "hard.csv")
    (tmp_path / "soft.csv").symlink_to(tmp_path / "t.csv")
    return tmp_path


REFUSED = [
    # F1: score's OUTPUT is deleted before it is written (--force): never the input, a folder holding it, the model
    (["score", "d/reviews.parquet", "d", "--force"], 1, "d holds the input d/reviews.parquet"),
    (["score", "d/reviews.parquet", "d/reviews.parquet", "--force"], 1, "is also the input"),
    (["score", "d/reviews.parquet", ".", "--force"], 1, "is the current directory or holds it"),
    (["score", "d/reviews.parquet", "d/x/..", "--force"], 1, "holds the input"),
    (["score", "d", "d/sub", "--force"], 1, "is inside the input d"),
    (["score", "d/reviews.parquet", "m", "--force", "-m", "m"], 1, "is also the model"),
    # F2: predict -o, evaluate --predictions and --report, inspect --report: never a file of the model in use
    (["predict", "-m", "m", "r.txt", "-o", "m/tokenizer.json"], 2, "is also a file of the model m"),
    (["predict", "-m", "m", "r.txt", "-f", "jsonl", "-o", "m/model.tflite"], 2, "is also a file of the model m"),
    (["predict", "-m", "m", "r.txt", "-o", "m/../m/card.json"], 2, "is also a file of the model m"),
    (["evaluate", "-m", "m", "t.csv", "--predictions", "m/card.json"], 2, "is also a file of the model m"),
    (["evaluate", "-m", "m", "t.csv", "--report", "m/report.html"], 2, "is also a file of the model m"),
    (["inspect", "m", "--report", "m/report.html"], 2, "is also a file of the model m"),
    # ... nor an input, under any name
    (["predict", "-m", "m", "t.csv", "-o", "hard.csv"], 2, "is also an input"),
    (["predict", "-m", "m", "t.csv", "-o", "soft.csv"], 2, "is also an input"),
    (["evaluate", "-m", "m", "t.csv", "--predictions", "hard.csv"], 2, "is also the data"),
    (["evaluate", "-m", "m", "t.csv", "--report", "./t.csv"], 2, "a report is an .html file"),
    # train --out is checked by the same function
    (["train", "d", "--out", "d/.."], 1, "is the current directory or holds it"),
    (["train", "t.csv", "--out", ".", "--force"], 1, "is the current directory or holds it"),
    (["train", "d/reviews.parquet", "--out", "d", "--force"], 1, "d holds the training data d/reviews.parquet"),
]


@pytest.mark.parametrize(("args", "code", "message"), REFUSED, ids=[" ".join(a) for a, _, _ in REFUSED])
def test_no_output_replaces_an_input_or_a_file_of_the_model(workdir, args, code, message):
    before = tree(workdir)
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert message in " ".join(result.stderr.split()), result.stderr
    assert tree(workdir) == before  # refused before anything was written or deleted


def test_the_shipped_model_is_guarded_when_no_model_is_named(workdir, model, monkeypatch):
    import sentiment_cli.bundle

    monkeypatch.setattr(sentiment_cli.bundle, "default_model_dir", lambda: model)  # a copy stands in for it
    before = tree(model)
    result = runner.invoke(app, ["predict", "r.txt", "-f", "jsonl", "-o", str(model / "card.json")])
    assert result.exit_code == 2 and "is also a file of the model" in result.stderr
    assert tree(model) == before


def test_score_refuses_in_the_library_too(workdir):
    from sentiment_cli.errors import OutputError
    from sentiment_cli.spark import score_files

    with pytest.raises(OutputError, match="holds the input"):
        score_files("d/reviews.parquet", "d", force=True)
    assert (workdir / "d" / "notes.txt").read_text() == "keep me\n"


def test_outputs_beside_the_model_and_json_lines_names_are_still_written(workdir):
    """A file the model does not list may be written into its folder; .json and .ndjson are JSON lines."""
    for name in ("m/eval.json", "p.ndjson"):
        result = runner.invoke(app, ["predict", "-m", "m", "r.txt", "-o", name])
        assert result.exit_code == 0, result.output
        assert json.loads(Path(name).read_text())["label"] == "positive"
    result = runner.invoke(app, ["predict", "-m", "m", "r.txt"])  # the model still loads
    assert result.exit_code == 0, result.output


def test_an_unwritable_output_is_refused_before_the_evaluation(workdir, monkeypatch):
    """F19: --predictions and --report in a missing or read-only folder fail at once, not after the scoring."""
    real_access = os.access
    readonly = workdir / "ro"
    readonly.mkdir()

    def access(path, mode):
        return False if mode & os.W_OK and Path(path).resolve() == readonly else real_access(path, mode)

    monkeypatch.setattr(os, "access", access)
    for option, name, problem in [
        ("--predictions", "missing/p.csv", "missing: no such directory"),
        ("--predictions", "ro/p.csv", "ro: not writable"),
        ("--report", "ro/r.html", "ro: not writable"),
        ("--report", "ro", "ro: not writable"),
    ]:
        result = runner.invoke(app, ["evaluate", "-m", "m", "t.csv", option, name])
        assert result.exit_code == 1, result.output
        assert f"error: {problem}" in result.stderr
        assert result.stdout == "" and "Read " not in result.stderr  # nothing read, nothing scored
    result = runner.invoke(app, ["predict", "-m", "m", "r.txt", "-o", "ro/p.jsonl"])
    assert result.exit_code == 1 and "error: ro: not writable" in result.stderr
