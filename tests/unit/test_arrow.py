"""The Arrow core (pa.Table in, pa.Table out) gives what `sentiment predict -o FILE.parquet` writes."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sentiment_cli
from conftest import make_reviews, make_three_class, runner
from sentiment_cli.arrow import score_table
from sentiment_cli.cli import app
from sentiment_cli.errors import DataError


def predicted_by_cli(table: pa.Table, tmp_path: Path, *model: str) -> dict[str, dict]:
    source, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    pq.write_table(table, source)
    result = runner.invoke(app, ["predict", str(source), "--id-column", "id", "--output", str(out), *model])
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in pq.read_table(out).to_pylist()}


def reviews_table(texts: list[str | None]) -> pa.Table:
    return pa.table({"id": [f"r{i}" for i in range(len(texts))], "text": texts, "stars": range(len(texts))})


def test_score_table_equals_the_predict_command_exactly(tmp_path):
    texts = [t for t, _ in make_reviews(300, seed=11)] + [None, "", "   ", "qqzxv wwkkj", "A wonderful film."]
    table = reviews_table(texts)
    model = sentiment_cli.load()
    scored = score_table(model, table, "text", "id")
    assert scored.column_names == ["id", "label", "probability"]
    assert scored.schema.field("probability").type == pa.float64()
    expected = predicted_by_cli(table, tmp_path)
    assert len(expected) == scored.num_rows == len(texts)
    for row in scored.to_pylist():
        want = expected[row["id"]]
        assert (row["label"], row["probability"]) == (want["label"], want["probability"])
    rows = scored.to_pylist()
    assert [r["label"] for r in rows[-5:]] == [None, None, None, None, "positive"]
    assert rows[-5]["probability"] is None
    assert {r["label"] for r in rows[:300]} == {"negative", "positive"}


def test_without_an_id_every_input_column_is_kept(tmp_path):
    table = reviews_table(["A wonderful film.", "Dull."])
    scored = score_table(sentiment_cli.load(), table)
    assert scored.column_names == ["id", "text", "stars", "label", "probability"]
    assert scored.column("stars").to_pylist() == [0, 1]


def test_the_model_may_be_named_by_its_directory_or_left_out():
    from sentiment_cli.bundle import default_model_dir

    table = reviews_table(["A wonderful film.", "Dull."])
    expected = score_table(sentiment_cli.load(), table)
    assert score_table(None, table).equals(expected)
    assert score_table(str(default_model_dir()), table).equals(expected)


def test_three_class_columns(tmp_path, three_class_model):
    texts = [t for t, _ in make_three_class(60, seed=8)] + [None]
    table = reviews_table(texts)
    model = sentiment_cli.load(three_class_model)
    scored = score_table(model, table, "text", "id")
    assert scored.column_names == ["id", "label", "probability", "p_negative", "p_neutral", "p_positive"]
    expected = predicted_by_cli(table, tmp_path, "--model", str(three_class_model))
    for row in scored.to_pylist():
        assert row == {key: expected[row["id"]][key] for key in row}
    assert scored.to_pylist()[-1]["p_neutral"] is None


def test_bad_columns_are_named():
    """A DataError, as spark.score raises for the same columns and the API raises for bad data."""
    model = sentiment_cli.load()
    with pytest.raises(DataError, match="no text column 'review'"):
        score_table(model, reviews_table(["x"]), "review")
    with pytest.raises(DataError, match="no id column 'key'"):
        score_table(model, reviews_table(["x"]), id_column="key")
    with pytest.raises(DataError, match="not strings"):
        score_table(model, reviews_table(["x"]), "stars")
    with pytest.raises(DataError, match="label would be overwritten"):
        score_table(model, reviews_table(["x"]).append_column("label", pa.array(["a"])))


def test_a_threshold_out_of_range_or_for_three_classes_is_refused(three_class_model):
    table = reviews_table(["A wonderful film.", "Dull."])
    scored = score_table(sentiment_cli.load(), table, threshold=0.0)  # 0 and 1 are thresholds too
    assert scored.column("label").to_pylist() == ["positive", "positive"]
    for bad in (1.5, -0.1, float("nan"), "0.5", True):
        with pytest.raises(ValueError, match="threshold must be a number from 0 to 1"):
            score_table(sentiment_cli.load(), table, threshold=bad)
    with pytest.raises(ValueError, match="threshold applies to two-class models"):
        score_table(sentiment_cli.load(three_class_model), table, threshold=0.5)
