"""Spark scoring in local mode (local[2]): the same results as `sentiment predict`, the model built once per
worker process, single-row-group inputs spread over both workers, the `score` command and spark-submit."""

from __future__ import annotations

import collections
import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_reviews, runner
from sentiment_cli.api import TRACE_LOADS_ENV

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("java") is None, reason="Spark needs a Java runtime (apt-get install default-jre-headless)"
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("pyspark") is None, reason="pyspark is not installed (the spark extra)"
    ),
]
TEXTS = [t for t, _ in make_reviews(1200, seed=21)] + [None, "", "qqzxv wwkkj"]


@pytest.fixture(scope="module")
def trace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("trace") / "loads.txt"


@pytest.fixture(scope="module")
def spark(trace):
    """One local[2] session for the module; workers inherit the trace variable from this process."""
    saved = {key: os.environ.get(key) for key in (TRACE_LOADS_ENV, "PYSPARK_PYTHON")}
    os.environ[TRACE_LOADS_ENV] = str(trace)
    os.environ.pop("PYSPARK_PYTHON", None)
    from sentiment_cli.spark import session

    spark = session("local[2]")
    assert os.environ["PYSPARK_PYTHON"] == sys.executable
    yield spark
    spark.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def write_parquet(path: Path, row_group_size: int | None) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": list(range(len(TEXTS))), "text": TEXTS})
    pq.write_table(table, path, **({"row_group_size": row_group_size} if row_group_size else {}))
    assert pq.ParquetFile(path).num_row_groups == (4 if row_group_size else 1)
    return path


@pytest.fixture(scope="module")
def predicted(tmp_path_factory) -> dict[int, dict]:
    """What `sentiment predict` writes for TEXTS, by id."""
    import pyarrow.parquet as pq

    from sentiment_cli.cli import app

    folder = tmp_path_factory.mktemp("predict")
    source = write_parquet(folder / "in.parquet", None)
    result = runner.invoke(app, ["predict", str(source), "--id-column", "id", "-o", str(folder / "out.parquet")])
    assert result.exit_code == 0, result.output
    return {int(row["id"]): row for row in pq.read_table(folder / "out.parquet").to_pylist()}


def assert_same_as_predict(rows: list[dict], predicted: dict[int, dict]) -> None:
    ids = [int(row["id"]) for row in rows]
    assert sorted(ids) == sorted(predicted), "every id exactly once"
    worst = 0.0
    for row in rows:
        want = predicted[int(row["id"])]
        assert row["label"] == want["label"]
        if want["probability"] is None:
            assert row["probability"] is None
        else:
            worst = max(worst, abs(row["probability"] - want["probability"]))
    assert worst <= 1e-6
    assert sum(row["label"] is None for row in rows) == 3  # None, "" and a text with no known word


def loads_by_pid(trace: Path) -> collections.Counter:
    lines = trace.read_text().split() if trace.exists() else []
    return collections.Counter(int(pid) for pid in lines if int(pid) != os.getpid())  # the driver's own loads aside


def test_four_row_groups_score_as_predict_does_with_one_model_per_worker(spark, tmp_path, predicted, trace):
    from pyspark.sql import functions as F

    from sentiment_cli.spark import score

    source = write_parquet(tmp_path / "in.parquet", 301)
    spark.conf.set("spark.sql.files.maxPartitionBytes", source.stat().st_size // 4)  # a partition per row group
    try:
        df = spark.read.parquet(str(source))
        assert df.rdd.getNumPartitions() >= 4
        scored = score(df, id_col="id")
        assert scored.columns == ["id", "label", "probability"]
        tasks = scored.rdd.getNumPartitions()
        assert tasks >= 4
        rows = [row.asDict() for row in scored.collect()]
        per_partition = scored.groupBy(F.spark_partition_id()).count().collect()
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert_same_as_predict(rows, predicted)
    assert sorted(row["count"] for row in per_partition) == [300, 301, 301, 301]  # a task per row group
    # every worker process opened the model once, however many tasks (partitions, and jobs) it ran
    workers = loads_by_pid(trace)
    assert 1 <= len(workers) <= 2 < tasks
    assert set(workers.values()) == {1}


def test_one_row_group_is_spread_over_both_workers(spark, tmp_path, predicted, trace):
    from pyspark.sql import functions as F

    from sentiment_cli.spark import score

    df = spark.read.parquet(str(write_parquet(tmp_path / "one.parquet", None)))
    assert df.rdd.getNumPartitions() == 1
    scored = score(df, id_col="id")
    counts = [row["count"] for row in scored.groupBy(F.spark_partition_id()).count().collect()]
    assert len(counts) == 2 and min(counts) > 0 and sum(counts) == len(TEXTS)
    assert_same_as_predict([row.asDict() for row in scored.collect()], predicted)
    assert set(loads_by_pid(trace).values()) == {1}
    unspread = score(df, id_col="id", spread=False)
    assert unspread.rdd.getNumPartitions() == 1


def test_all_columns_kept_without_an_id_and_errors_named(spark, tmp_path):
    from sentiment_cli.errors import DataError
    from sentiment_cli.spark import score

    df = spark.createDataFrame(
        [("r1", "A wonderful film.", 5), ("r2", "Dull and far too long.", 1)], ["key", "review", "stars"]
    )
    rows = score(df, text_col="review").orderBy("key").collect()
    assert list(rows[0].asDict()) == ["key", "review", "stars", "label", "probability"]
    assert [(row["stars"], row["label"]) for row in rows] == [(5, "positive"), (1, "negative")]
    with pytest.raises(DataError, match="no text column 'text'"):
        score(df)
    with pytest.raises(DataError, match="not strings"):
        score(df, text_col="stars")
    with pytest.raises(ValueError, match="threshold must be a number from 0 to 1"):
        score(df, text_col="review", threshold=1.5)  # refused on the driver, before any task runs


def test_score_command_reads_csv_and_jsonl_folders(spark, tmp_path, predicted):
    from sentiment_cli.cli import app

    folder = tmp_path / "csv"
    folder.mkdir()
    half = len(TEXTS) // 2
    for name, start, end in (("a.csv", 0, half), ("b.csv", half, len(TEXTS))):
        with open(folder / name, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "review"])
            writer.writerows([i, "" if TEXTS[i] is None else TEXTS[i]] for i in range(start, end))
    out = tmp_path / "scored"
    result = runner.invoke(app, ["score", str(folder), str(out), "--master", "local[2]", "--id-column", "id"])
    assert result.exit_code == 0, result.output
    assert f"Scored {len(TEXTS):,} rows ('review', 3 without a label)" in result.stderr
    import pyarrow.parquet as pq

    assert_same_as_predict(pq.read_table(out).to_pylist(), predicted)
    again = runner.invoke(app, ["score", str(folder), str(out), "--id-column", "id"])
    assert again.exit_code == 1 and "already exists" in again.stderr

    jsonl = tmp_path / "reviews.jsonl"
    jsonl.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    out = tmp_path / "scored.jsonl"
    result = runner.invoke(app, ["score", str(jsonl), str(out), "--id-column", "id"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for part in sorted(out.glob("part-*")) for line in part.read_text().splitlines()]
    for row in rows:
        row.setdefault("label", None)
        row.setdefault("probability", None)
    assert_same_as_predict(rows, predicted)


@pytest.mark.skipif(
    shutil.which("spark-submit", path=os.path.dirname(sys.executable)) is None, reason="no spark-submit"
)
def test_spark_submit_runs_the_score_command_as_a_file(tmp_path, predicted):
    import pyarrow.parquet as pq

    from sentiment_cli.cli import spark_submit

    source = write_parquet(tmp_path / "in.parquet", 301)
    trace = tmp_path / "loads.txt"
    env = {**os.environ, TRACE_LOADS_ENV: str(trace), "PYSPARK_PYTHON": sys.executable}
    command = [
        os.path.join(os.path.dirname(sys.executable), "spark-submit"), "--master", "local[2]",
        spark_submit.__file__, str(source), str(tmp_path / "out"), "--id-column", "id",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Scored {len(TEXTS):,} rows" in result.stdout  # spark-submit passes the program's stderr to stdout
    assert_same_as_predict(pq.read_table(tmp_path / "out").to_pylist(), predicted)
    pids = collections.Counter(trace.read_text().split())
    assert len(pids) >= 2 and set(pids.values()) == {1}  # the driver, then each worker process once


def test_score_prints_no_pandas_future_warning(tmp_path):
    """Issue 22 (13): PySpark's 'does not yet fully support pandas >= 3' FutureWarning came twice a run."""
    source = tmp_path / "in.csv"
    source.write_text("text,review_id\nA wonderful film.,r1\nDull and far too long.,r2\n", encoding="utf-8")
    script = Path(sys.executable).with_name("sentiment")
    command = [str(script), "score", str(source), str(tmp_path / "out"), "--master", "local[1]", "--id-column",
               "review_id"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env={**os.environ})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "FutureWarning" not in result.stderr and "Scored 2 rows" in result.stderr
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "out").column_names == ["id", "label", "probability"]  # 'id', as predict
