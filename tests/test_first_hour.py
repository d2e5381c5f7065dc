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


def test_stdout_redirected_to_a_csv_file_gets_csv_and_a_note(tmp_path):
    """`sentiment predict new.csv > out.csv` wrote JSON lines into a .csv file; a pipe or .jsonl stays JSON lines."""
    import subprocess
    import sys

    reviews = tmp_path / "new.csv"
    reviews.write_text("text\nA wonderful film.\nDull and far too long.\n", encoding="utf-8")
    command = [sys.executable, "-m", "sentiment_cli", "predict", str(reviews)]
    for name, fmt in (("out.csv", "csv"), ("out.tsv", "tsv"), ("out.jsonl", None), ("out.txt", None)):
        target = tmp_path / name
        with open(target, "w") as stdout:
            result = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, text=True, check=True)
        written = target.read_text().splitlines()
        if fmt is None:
            assert [json.loads(line)["label"] for line in written] == ["positive", "negative"]
            assert "Writing" not in result.stderr
        else:
            sep = "," if fmt == "csv" else "\t"
            assert written[0].split(sep) == ["source", "label", "probability"]
            assert [row.split(sep)[1] for row in written[1:]] == ["positive", "negative"]
            assert f"Writing {fmt.upper()}: standard output is {target} (--format jsonl for JSON lines)" in (
                result.stderr.splitlines()
            )
    piped = subprocess.run(command, capture_output=True, text=True, check=True)
    assert json.loads(piped.stdout.splitlines()[0])["label"] == "positive"
    explained = tmp_path / "explained.csv"
    with open(explained, "w") as stdout:  # --explain needs JSON lines: the redirect does not change it
        subprocess.run([*command, "--explain"], stdout=stdout, check=True)
    assert "explanation" in json.loads(explained.read_text().splitlines()[0])


def test_an_id_like_column_is_carried_as_id_in_every_output(tmp_path):
    """predict carried review_id only with --id-column; evaluate --predictions put it in 'source', score kept
    'review_id': now each writes it as 'id', beside the row's FILE:LINE, and predict says which it took."""
    import pyarrow as pa

    from sentiment_cli.api import load
    from sentiment_cli.arrow import score_table
    from sentiment_cli.tables import _id_like

    table = tmp_path / "reviews.csv"
    table.write_text("review_id,text,label\nr1,A wonderful film.,positive\nr2,Dull and far too long.,negative\n")
    predicted = runner.invoke(app, ["predict", str(table)])
    assert predicted.exit_code == 0, predicted.stderr
    assert [(r["source"], r["id"]) for r in lines_of(predicted.stdout)] == [(f"{table}:2", "r1"), (f"{table}:3", "r2")]
    assert predicted.stderr.splitlines() == [
        f"read {table} as CSV with a header row; text column 'text', id column 'review_id' (chosen automatically: "
        "text, id); its ids written as 'id' (--id-column NAME: another column; --id-column '': none)"
    ]
    none = runner.invoke(app, ["predict", str(table), "--id-column", ""])
    assert "id" not in lines_of(none.stdout)[0] and "its ids" not in none.stderr
    as_csv = runner.invoke(app, ["predict", str(table), "-f", "csv"])
    assert as_csv.stdout.splitlines()[:2] == ["source,id,label,probability", f"{table}:2,r1,positive,0.999906"]

    written = tmp_path / "predictions.csv"
    evaluated = runner.invoke(app, ["evaluate", str(table), "--predictions", str(written)])
    assert evaluated.exit_code == 0, evaluated.stderr
    rows = written.read_text().splitlines()
    assert rows[0].split(",")[:2] == ["source", "id"] and rows[1].split(",")[:2] == [f"{table}:2", "r1"]

    scored = score_table(load(), pa.table({"review_id": ["r1"], "text": ["A wonderful film."]}), "text", "review_id")
    assert scored.column_names[0] == "id" and scored.column("id").to_pylist() == ["r1"]

    # the rule: a known id name, else the one column named like an id (two say none of them is the review's)
    assert _id_like(["user_id", "text"], set()) == "user_id" and _id_like(["reviewId"], set()) == "reviewId"
    assert _id_like(["user_id", "product_id", "text"], set()) is None and _id_like(["paid", "valid"], set()) is None


def test_star_ratings_and_tiny_classes_are_said_before_training(tmp_path, capsys):
    """A 1-5 stars column trained a 5-class model without a word, and 3 rows trained with no warning."""
    from sentiment_cli.cli import output
    from sentiment_cli.cli.options import rating_label_map, warn_about_classes
    from sentiment_cli.data import TableOptions, load_dataset

    output._err.cache_clear()  # stderr's console made afresh, on the captured stream
    rows = "".join(f'"review number {i} of the film",{1 + i % 5}\n' for i in range(60))
    stars = tmp_path / "stars.csv"
    stars.write_text("review,stars\n" + rows, encoding="utf-8")
    dataset = load_dataset(stars, TableOptions())
    assert dataset.classes == ("1", "2", "3", "4", "5")
    warn_about_classes(dataset, None)
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "the labels are 5 ratings (1, 2, 3, 4, 5), trained as 5 classes; for positive and negative: "
        "--label-map '1-2=negative,3=drop,4-5=positive'",
        "warning: few training reviews per class (1 12, 2 12, 3 12, 4 12, 5 12; fewer than 50): the model and "
        "its metrics will mean little",
    ]
    mapped = load_dataset(stars, TableOptions(label_map="1-2=negative,3=drop,4-5=positive"))
    warn_about_classes(mapped, "1-2=negative,3=drop,4-5=positive")
    assert capsys.readouterr().err.splitlines() == [
        "warning: few training reviews per class (negative 24, positive 24; fewer than 50): the model and its "
        "metrics will mean little"
    ]
    assert rating_label_map([str(i) for i in range(1, 11)]) == "1-5=negative,6-10=positive"
    assert rating_label_map(["0", "1", "2", "3", "4"]) == "0-1=negative,2=drop,3-4=positive"
    assert rating_label_map(["negative", "neutral", "positive"]) is None and rating_label_map(["0", "1"]) is None
    output._err.cache_clear()
