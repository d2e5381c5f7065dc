"""Issue 22, the first hour: where a guess is made for a new user, one stderr line says what was guessed and
how to change it; outputs land where and how the user expects. Predictions use the shipped model (no training)."""

import json

from typer.testing import CliRunner

from sentiment_cli.cli import app

runner = CliRunner()


def lines_of(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_a_plain_file_of_several_lines_is_one_review_and_the_user_is_told_once(tmp_path):
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("A wonderful film.\nDull and far too long.\n\nLoved every minute.\n", encoding="utf-8")
    other = tmp_path / "more.txt"
    other.write_text("Great.\nAwful.\n", encoding="utf-8")
    one = tmp_path / "one.txt"
    one.write_text("A wonderful film.\n", encoding="utf-8")

    guessed = runner.invoke(app, ["predict", str(reviews), str(other), str(one)])
    assert guessed.exit_code == 0, guessed.stderr
    assert [r["source"] for r in lines_of(guessed.stdout)] == [str(reviews), str(other), str(one)]
    assert guessed.stderr.splitlines() == [
        f"3 lines of {reviews} read as one review, as a plain file is (--per-line: one review per line; "
        "--whole: one review, no notice)"
    ]  # one line for the run, naming the first such file
    assert runner.invoke(app, ["predict", str(one)]).stderr == ""  # one line: nothing guessed
    whole = runner.invoke(app, ["predict", str(reviews), "--whole"])
    assert whole.exit_code == 0 and whole.stderr == "" and len(lines_of(whole.stdout)) == 1
    per_line = runner.invoke(app, ["predict", str(reviews), "--per-line"])
    assert [r["source"] for r in lines_of(per_line.stdout)] == [f"{reviews}:{n}" for n in (1, 2, 4)]
    assert per_line.stderr == ""
