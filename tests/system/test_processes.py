"""The real console script and ``python -m sentiment_cli`` in child processes: pipes, exit codes, closed
stdout, killed runs' leftovers, a FIFO card, the progress bar on a pseudo-terminal, spark-submit's program."""

import json
import os
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TINY_TRAIN_ARGS, jsonl, make_reviews, runner, write_csv
from sentiment_cli.bundle import default_model_dir
from sentiment_cli.cli import app

REVIEWS = [text for text, _ in make_reviews(6, seed=11)]




def console_script() -> str:
    script = Path(sys.executable).with_name("sentiment")
    if not script.exists():
        pytest.skip("the sentiment console script is not installed next to this Python")
    return str(script)


def test_console_script_pipes_and_exit_codes(tiny_model, tmp_path):
    env = {**os.environ, "COLUMNS": "100"}
    text = "\n".join(REVIEWS) + "\n"
    result = subprocess.run(
        [console_script(), "predict", "--model", str(tiny_model), "-"],
        input=text,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert [r["source"] for r in jsonl(result.stdout)] == [f"<stdin>:{i}" for i in range(1, 7)]
    assert result.stderr == ""  # nothing from LiteRT or TensorFlow leaks onto stderr

    module = subprocess.run([sys.executable, "-m", "sentiment_cli", "--help"], capture_output=True, text=True)
    assert module.returncode == 0 and "predict" in module.stdout


def test_closed_stdout_exits_quietly(tiny_model, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text((REVIEWS[0] + "\n") * 5000)
    command = f"{console_script()} predict --model {tiny_model} - < {big} | head -1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True)
    assert len(result.stdout.splitlines()) == 1
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
    assert result.returncode == 141


def test_the_spark_submit_program_is_the_score_command(tmp_path):
    import subprocess
    import sys

    from sentiment_cli.cli import spark_submit

    program = [sys.executable, spark_submit.__file__]
    shown = subprocess.run([*program, "--help"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "Score a file or folder of reviews on Apache Spark" in shown.stdout and "--id-column" in shown.stdout
    wrong = subprocess.run([*program, "only-one-argument"], capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "Missing argument 'OUTPUT'" in wrong.stderr
    bad = subprocess.run([*program, "in", str(tmp_path / "out"), "--threshold", "2"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--threshold" in bad.stderr




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


def test_temporaries_of_killed_runs_are_deleted_and_training_names_them(tmp_path):
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


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return Path(shutil.copytree(default_model_dir(), tmp_path / "m"))


def test_the_output_check_never_waits_on_a_fifo_card(model, tmp_path):
    """Listing the model's files for the check reads its card only when it is a regular file."""
    (model / "card.json").unlink()
    os.mkfifo(model / "card.json")
    (tmp_path / "r.txt").write_text("A great film\n")
    run = subprocess.run(
        [sys.executable, "-m", "sentiment_cli", "predict", "-m", str(model), str(tmp_path / "r.txt"), "-o",
         str(tmp_path / "p.jsonl")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 1 and run.stderr == f"error: {model}/card.json: not a regular file\n"


@pytest.mark.slow
def test_progress_bar_on_a_terminal(tiny_model: Path, imdb_like: Path) -> None:
    """stderr a terminal: the bar with the count and rate; the results on stdout untouched."""
    import pty

    leader, follower = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "sentiment_cli", "evaluate", str(imdb_like), "--model", str(tiny_model), "-f", "json"],
        stdout=subprocess.PIPE, stderr=follower, env={**os.environ, "COLUMNS": "150"}, timeout=120, check=False,
    )  # fmt: skip
    os.close(follower)
    shown = b""
    while select.select([leader], [], [], 0.2)[0]:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert done.returncode == 0
    text = shown.decode("utf-8", "replace")
    assert "Classifying" in text and "100 reviews" in text and "reviews/s" in text
    assert json.loads(done.stdout)["n"] == 100


def test_a_table_piped_to_a_pager_is_80_columns_or_COLUMNS(tiny_model, tmp_path):
    """Issue 22 (13): `predict -f table | less` was 159 columns wide; a pipe follows COLUMNS, else 80."""
    review = tmp_path / "long.txt"
    review.write_text(" ".join(REVIEWS) * 3)
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    for columns, width in ((None, 80), ("120", 120)):
        run_env = env if columns is None else {**env, "COLUMNS": columns}
        result = subprocess.run(
            [*console_script().split(), "predict", "-m", str(tiny_model), "-f", "table", str(review)],
            capture_output=True, text=True, env=run_env, check=True,
        )  # fmt: skip
        lines = result.stdout.splitlines()
        assert "long.txt" in result.stdout and width - 2 <= max(map(len, lines)) <= width, (columns, lines)
