"""Issue 22, the first hour: where a guess is made for a new user, one stderr line says what was guessed and
how to change it; outputs land where and how the user expects. Predictions use the shipped model (no training)."""

import json

import pytest
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
    first = lines_of(predicted.stdout)[0]
    assert as_csv.stdout.splitlines()[:2] == [
        "source,id,label,probability", f"{table}:2,r1,positive,{first['probability']}"
    ]  # fmt: skip

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
    from sentiment_cli.cli import console as output
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


def test_inspect_shows_what_the_shipped_card_holds_and_the_real_combiner():
    """The data row showed build-machine paths and '? files, sha256 ?'; the combiner dropped the length gate."""
    import io

    from rich.console import Console

    from sentiment_cli.bundle import Card, default_model_dir
    from sentiment_cli.cli import render
    from sentiment_cli.facts import combiner_formula, data_rows

    card = Card.from_dict(json.loads((default_model_dir() / "card.json").read_text()))
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(render.card_table(card))
    shown = console.file.getvalue()
    assert "?" not in shown and "/work/" not in shown and "/tmp/" not in shown
    facts = dict(data_rows(card)[:1])
    imdb = card.data["parts"][0]
    assert facts["data"].startswith(
        f"imdb.jsonl (jsonl; {imdb['bytes']:,} bytes; sha256 {imdb['sha256'][:12]}…; "
        "train 72,000, validation 1,000, test 25,000)"
    )
    combiner, tau = card.training.combiner, card.model.length_gate
    formula = combiner_formula(combiner, tau)
    def signed(key: str) -> str:
        return f"{'-' if combiner[key] < 0 else '+'} {abs(combiner[key]):.3f}"

    assert formula.startswith(
        f"logit = {combiner['bilstm_weight']:.3f}·BiLSTM {signed('ngram_weight')}·bag + "
        f"g·({combiner['bilstm_gated_weight']:.3f}·BiLSTM {signed('ngram_gated_weight')}·bag) "
        f"{signed('bias')}, g = 1/(1 + n/300)"
    )
    assert formula in shown

    # how negations are read: the shipped recipe's, and each other setting
    import dataclasses

    from sentiment_cli.facts import describe_negation

    shipped = (
        "up to 5 words after a negator (until a contrast word, or punctuation), ¬ in the bag's n-grams of every length"
    )
    assert describe_negation(card.model) == shipped and shipped in shown
    read = {
        (marks, ends, arch): describe_negation(dataclasses.replace(card.model, negation_marks=marks,
                                                                   negation_ends=ends, arch=arch))
        for marks in ("both", "bag", "bag-ngrams") for ends in ("scope", "punctuation") for arch in ("hybrid", "seed")
    }  # fmt: skip
    assert read["both", "scope", "hybrid"].endswith("contrast word), ¬ in the bag's 1-grams and the BiLSTM's words")
    assert read["bag", "scope", "hybrid"].endswith("¬ in the bag's 1-grams")
    assert read["both", "punctuation", "seed"].endswith("contrast word, or punctuation), ¬ in the BiLSTM's words")
    assert read["bag", "scope", "seed"] == read["bag-ngrams", "punctuation", "seed"] == "not marked"  # no bag to mark
    assert describe_negation(dataclasses.replace(card.model, negation_scope=0)) == "not marked"

    # a card with named sources and pretrained vectors (the fields train --data-sources and --embeddings write)

    from sentiment_cli.facts import embedding_rows

    sources = [{"name": "IMDB", "file": "/build/aclImdb_v1.tar.gz", "licence": "research only"}]
    vectors = {"source": "/home/x/glove.6B.50d.txt", "sha256": "ab" * 32,
               "vocabulary_rows": 10000, "rows_from_vectors": 9512, "token_coverage": 0.9731}  # fmt: skip
    card = dataclasses.replace(
        card,
        data=dataclasses.replace(card.data, sources=sources),
        training=dataclasses.replace(card.training, embeddings=vectors),
    )
    rows = dict(data_rows(card)) | dict(embedding_rows(card.training))
    assert rows["data sources"] == "IMDB, aclImdb_v1.tar.gz, licence research only"
    assert rows["embedding"] == (
        "9,512 of 10,000 rows from glove.6B.50d.txt (sha256 abababababab…), token coverage 97.3%"
    )


@pytest.mark.slow
def test_the_shipped_model_keras_loads_in_plain_keras_after_one_import_and_inspect_lists_the_shipped_models():
    import subprocess
    import sys

    from sentiment_cli.bundle import default_model_dir, shipped_models

    path = default_model_dir() / "model.keras"
    load = "import keras, sentiment_cli.model, sys; print(keras.models.load_model(sys.argv[1], safe_mode=True).name)"
    loaded = subprocess.run([sys.executable, "-c", load, str(path)], capture_output=True, text=True, timeout=600)
    assert loaded.returncode == 0 and loaded.stdout.strip() == "sentiment_hybrid", loaded.stderr[-2000:]
    plain = "import keras, sys; keras.models.load_model(sys.argv[1], safe_mode=True)"
    refused = subprocess.run([sys.executable, "-c", plain, str(path)], capture_output=True, text=True, timeout=600)
    assert refused.returncode != 0  # why the one-liner is documented: without the import Keras cannot load it
    shown = runner.invoke(app, ["inspect"])
    assert shown.exit_code == 0, shown.stderr
    assert f"Shipped models: {', '.join(shipped_models())} (inspect NAME, --model NAME)" in shown.stdout
    assert "sha256 ?" not in shown.stdout and "g = 1/(1 + n/300)" in " ".join(shown.stdout.split())


def test_evaluate_on_data_without_a_split_says_all_rows_not_train_split(tmp_path, wide_stdout):
    table = tmp_path / "labelled.csv"
    table.write_text("text,label\nA wonderful film.,positive\nDull and far too long.,negative\nLoved it.,positive\n")
    shown = runner.invoke(app, ["evaluate", str(table)])
    assert shown.exit_code == 0, shown.stderr
    assert "train split" not in shown.stdout + shown.stderr
    assert f"{table}, all 3 reviews (no test split in the data)" in shown.stdout
    assert f"Read 3 reviews from {table} (no test split)" in shown.stderr
    data = json.loads(runner.invoke(app, ["evaluate", str(table), "-f", "json"]).stdout)
    assert data["split"] == "train" and data["evaluated"] == "all 3 reviews (no test split in the data)"
    asked = json.loads(runner.invoke(app, ["evaluate", str(table), "-f", "json", "--split", "train"]).stdout)
    assert asked["evaluated"] == "train split"  # asked for by name: said as asked


def test_a_windows_1252_csv_gets_a_hint_and_reads_right_with_encoding(tmp_path):
    table = tmp_path / "excel.csv"
    table.write_bytes("text,label\nCafé food délicieux – loved it,positive\nNaïve – awful,negative\n".encode("cp1252"))
    plain = tmp_path / "review.txt"
    plain.write_bytes("Café – a wonderful film\n".encode("cp1252"))

    guessed = runner.invoke(app, ["predict", str(table), str(plain)])
    assert f"warning: {table}: invalid UTF-8 (2 lines, the first line 2), replaced with U+FFFD; if it came from " \
        "Excel or Windows, try --encoding cp1252" in guessed.stderr.splitlines()  # fmt: skip
    assert f"warning: {plain}: invalid UTF-8, undecodable bytes replaced with U+FFFD; if it came from Excel or " \
        "Windows, try --encoding cp1252" in guessed.stderr.splitlines()  # fmt: skip

    read = runner.invoke(app, ["predict", str(table), str(plain), "--encoding", "cp1252", "--explain"])
    assert read.exit_code == 0 and "warning" not in read.stderr, read.stderr
    tokens = [[t["token"] for t in r["explanation"]] for r in lines_of(read.stdout)]
    assert "café" in tokens[0] and "délicieux" in tokens[0] and "naïve" in tokens[1] and "café" in tokens[2]
    per_line = runner.invoke(app, ["predict", str(plain), "--per-line", "--encoding", "windows-1252"])
    assert per_line.exit_code == 0 and per_line.stderr == ""
    evaluated = runner.invoke(app, ["evaluate", str(table), "--encoding", "cp1252", "-f", "json"])
    assert evaluated.exit_code == 0 and "invalid" not in evaluated.stderr and json.loads(evaluated.stdout)["n"] == 2
    wrong = runner.invoke(app, ["predict", str(plain), "--encoding", "utf-16"])
    assert wrong.exit_code == 2 and "byte-order mark" in wrong.stderr


def test_an_excel_workbook_is_named_with_what_to_do(tmp_path):
    import zipfile

    workbook = tmp_path / "reviews.xlsx"
    with zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>" * 50)
    todo = "save it as CSV (in Excel: File > Save As > CSV UTF-8) and give that file"
    predicted = runner.invoke(app, ["predict", str(workbook)])
    assert predicted.exit_code == 1
    assert predicted.stderr.strip() == f"error: {workbook}: not text (an Excel workbook: {todo})"
    evaluated = runner.invoke(app, ["evaluate", str(workbook)])
    assert evaluated.stderr.strip() == f"error: {workbook}: an Excel workbook, not a text table ({todo})"


def test_predict_o_says_what_it_wrote(tmp_path):
    table = tmp_path / "reviews.csv"
    table.write_text("text\nA wonderful film.\n\nDull and far too long.\n", encoding="utf-8")
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["predict", str(table), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert f"Wrote 2 predictions to {out}" in result.stderr.splitlines()
    assert len(out.read_text().splitlines()) == 3  # the header and the two records
