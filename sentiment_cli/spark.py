"""Batch scoring on Apache Spark: ``score(df)`` adds the prediction columns to a DataFrame.

Each partition is scored by :func:`sentiment_cli.arrow.score_batches` through ``DataFrame.mapInArrow``.
The model directory reaches the workers once per application (``SparkContext.addFile``, found there with
``SparkFiles.get``); each Python worker process opens it (verified) on its first task and keeps it for the
next ones, because a LiteRT interpreter cannot be pickled. Workers need only the prediction path:
``ai-edge-litert``, NumPy and pyarrow (see the README's "Running on a cluster").

The program for ``spark-submit`` is ``sentiment score`` (:mod:`sentiment_cli.cli.spark_submit`).
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentiment_cli._quiet import is_terminal as _is_terminal
from sentiment_cli.errors import DataError, EngineError, InputError, MissingExtra, OutputError, OutputExists
from sentiment_cli.files import check_writable, clash
from sentiment_cli.formats import TableFormat, file_format_of, listed, table_format_of

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from sentiment_cli.api import Model

PANDAS_WARNING = "PySpark does not yet fully support pandas"
"""PySpark's FutureWarning under pandas 3, printed twice a run (at import and at mapInArrow) although scoring
needs nothing it lacks (the ``spark`` extra asks for pandas below 3; an environment with 3 gets no warning)."""
warnings.filterwarnings("ignore", message=PANDAS_WARNING, category=FutureWarning)

FORMATS = tuple(f.value for f in listed(TableFormat.parquet))
"""The formats read and written, Parquet (Spark's own, and the default) first."""
_SHIPPED: dict[tuple[str, str], str] = {}
"""(application id, model sha256) -> the name the model directory was added to SparkFiles under."""
_WORKER_MODELS: dict[str, Model] = {}
"""In a worker process: the models opened so far, by SparkFiles name (one per process, reused by every task)."""
_STAGING: list[str] = []


def _require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise MissingExtra(
            "Spark scoring needs pyspark, which is not installed", "pip install 'sentiment-cli[spark]'"
        ) from None


def session(master: str | None = None, app_name: str = "sentiment-cli") -> SparkSession:
    """A Spark session (the active one if there is one): ``master`` such as ``local[2]``, ``spark://host:7077``,
    ``yarn``; None: Spark's own default (``spark-submit --master``, else ``local[*]``).

    Python workers run this Python (``PYSPARK_PYTHON`` is set to ``sys.executable`` when unset), so they
    find sentiment-cli and its dependencies wherever the driver does in local mode.
    """
    _require_pyspark()
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        raise EngineError(
            "Spark needs a Java runtime and none was found", "Debian/Ubuntu: apt-get install default-jre-headless"
        )
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    # The stage progress bar only on a terminal: in logs it is a line per update.
    builder = builder.config("spark.ui.showConsoleProgress", str(_is_terminal(sys.stderr)).lower())
    if master:
        builder = builder.master(master)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # PySparkRuntimeError when the JVM does not start, Py4J errors...
        raise EngineError(f"Spark did not start ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- shipping the model ----------------------------------------------------------------------------


def _ship(spark: SparkSession, model: Model) -> tuple[str, str]:
    """Add the model directory to SparkFiles once per application; its name there and the model's sha256.

    A copy named after the model's sha256 is added, so two models with the same folder name never clash
    and the directory can change on the driver while the job runs."""
    from sentiment_cli.bundle import LITERT_FILE

    sc = spark.sparkContext
    digest = model.card.files[LITERT_FILE].sha256
    key = (sc.applicationId, digest)
    if key not in _SHIPPED:
        if not _STAGING:
            _STAGING.append(tempfile.mkdtemp(prefix="sentiment-spark-"))
            atexit.register(shutil.rmtree, _STAGING[0], True)
        name = f"sentiment-model-{digest[:16]}"
        copy = Path(_STAGING[0]) / name
        if not copy.exists():
            shutil.copytree(model.path, copy)
        sc.addFile(str(copy), recursive=True)
        _SHIPPED[key] = name
    return _SHIPPED[key], digest


def worker_model(name: str, digest: str | None = None) -> Model:
    """In a worker process: the model shipped as ``name``, opened and verified on first use, then cached."""
    model = _WORKER_MODELS.get(name)
    if model is None:
        from pyspark import SparkFiles

        from sentiment_cli.api import reopen

        model = _WORKER_MODELS[name] = reopen(SparkFiles.get(name), digest)
    return model


def _score_partition(
    name: str,
    digest: str,
    text_col: str,
    id_col: str | None,
    threshold: float | None,
    batches: Iterator[pa.RecordBatch],
) -> Iterator[pa.RecordBatch]:
    from sentiment_cli.arrow import score_batches

    yield from score_batches(worker_model(name, digest), batches, text_col, id_col, threshold)


# -- the DataFrame API ---------------------------------------------------------------------------


def score(
    df: DataFrame,
    model: Model | str | os.PathLike[str] | None = None,
    text_col: str = "text",
    id_col: str | None = None,
    *,
    threshold: float | None = None,
    spread: bool = True,
) -> DataFrame:
    """``df``'s predictions: the ``id_col`` column (when given) or every column of ``df``, then ``label``,
    ``probability`` (and ``p_CLASS`` for models of more than two classes), with the values
    ``sentiment predict`` writes to Parquet. Lazy, like any DataFrame transformation.

    ``model``: a :class:`~sentiment_cli.api.Model`, a model directory the driver can read, or None (the
    shipped model). ``spread``: when ``df`` has fewer partitions than the cluster has cores (a Parquet
    file of one row group is one partition), repartition it so every core gets work.
    """
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    from sentiment_cli.api import Model, load
    from sentiment_cli.records import check_columns, check_no_clash, predicted_columns
    from sentiment_cli.runtime import check_threshold

    model = model if isinstance(model, Model) else load(model)
    check_columns(df.columns, text_col, id_col)
    if not isinstance(df.schema[text_col].dataType, StringType):
        raise DataError(f"the text column {text_col!r} is {df.schema[text_col].dataType.simpleString()}, not strings")
    check_threshold(threshold, model.labels)  # on the driver, before any task: as predict refuses it
    # the id column is written as 'id', the name predict and evaluate --predictions give it
    kept = [StructField("id", df.schema[id_col].dataType)] if id_col is not None else list(df.schema.fields)
    predicted = [
        StructField(c.name, DoubleType() if c.number else StringType()) for c in predicted_columns(model.labels)
    ]
    check_no_clash([f.name for f in kept], model.labels)
    spark = df.sparkSession
    name, digest = _ship(spark, model)
    if spread:
        cores = spark.sparkContext.defaultParallelism
        if df.rdd.getNumPartitions() < cores:
            df = df.repartition(cores)
    function = functools.partial(_score_partition, name, digest, text_col, id_col, threshold)
    return df.mapInArrow(function, StructType([*kept, *predicted]))


# -- files and folders -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreSummary:
    """What :func:`score_files` did."""

    output: str
    rows: int
    unlabelled: int
    """Rows without a label (no text, or nothing the model knows)."""
    seconds: float
    partitions: int
    text_column: str


def _format_of(path: str, given: str | None) -> str:
    if given is not None:
        if given not in FORMATS:
            raise ValueError(f"input format must be one of {', '.join(FORMATS)}, got {given!r}")
        return given
    names = [path]
    if "://" not in path and Path(path).is_dir():
        names = [str(p) for p in Path(path).rglob("*") if p.is_file() and not p.name.startswith(("_", "."))]
        if not names:
            raise InputError(f"{path}: an empty folder")
    found = {table_format_of(name) for name in names} - {None}
    if len(found) > 1:
        raise InputError(f"{path}: holds files of several formats ({', '.join(sorted(found))})", "name one of them")
    return found.pop().value if found else "parquet"  # Spark's part files, unnamed remote folders


def read(spark: SparkSession, path: str, input_format: str | None = None) -> DataFrame:
    """A file or folder of Parquet, CSV (header row, quoted fields may span lines), TSV or JSON Lines, as a
    DataFrame; the format from ``input_format``, else the file names' extensions (``.gz`` allowed)."""
    if "://" not in path and not Path(path).exists():
        raise InputError(f"{path}: no such file or folder")
    fmt = _format_of(path, input_format)
    reader = spark.read
    if fmt in ("csv", "tsv"):
        reader = reader.option("header", True).option("multiLine", True).option("escape", '"')
        reader = reader.option("sep", "\t" if fmt == "tsv" else ",")
        return _analysed(lambda: reader.csv(path), path)
    if fmt == "jsonl":
        return _analysed(lambda: reader.json(path), path)
    return _analysed(lambda: reader.parquet(path), path)


def _analysed(make: Any, path: str) -> DataFrame:
    from pyspark.errors import AnalysisException

    try:
        return make()
    except AnalysisException as exc:
        raise InputError(f"{path}: {_first_line(exc)}") from None


def column_of(columns: list[str], given: str | None, role: str = "text") -> str:
    """A column as named (as ``sentiment predict`` resolves names); for the text column when not named, the
    first with a usual name (text, review, document, content...)."""
    from sentiment_cli.tables import TEXT_NAMES, column_by_name, resolve_column

    if given is not None:
        return resolve_column(columns, given, role, "the DataFrame")
    found = column_by_name(columns, TEXT_NAMES)
    if found is None:
        raise DataError(f"no text column found (columns: {', '.join(columns)})", "give the text column's name")
    return found


def score_files(
    source: str,
    output: str,
    *,
    model: Model | str | os.PathLike[str] | None = None,
    master: str | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    input_format: str | None = None,
    threshold: float | None = None,
    force: bool = False,
) -> ScoreSummary:
    """Score a file or folder of Parquet/CSV/TSV/JSON Lines into the folder ``output`` (Spark's layout: one
    part file per partition), as Parquet, or as CSV or JSON Lines when ``output`` ends in ``.csv`` or
    ``.jsonl``. With ``id_column`` the output holds the id and the predictions, else every input column too."""
    from sentiment_cli.api import Model, load

    loaded = model if isinstance(model, Model) else load(model)  # a bad model is refused before Spark starts
    target = output.rstrip("/") or output
    out_format = file_format_of(target) or TableFormat.parquet
    # the output folder is deleted before it is written (force=True): never one that is, holds or lies inside
    # the input or the model, whatever happens to exist when the job starts
    problem = clash(target, [("the input", source), ("the model", loaded.path)], folder=True)
    if problem is not None:
        raise OutputError(problem, "write it elsewhere")
    if "://" not in target:  # a folder that cannot be written fails now, not after the whole job
        check_writable(Path(target), replaced=True)
    if "://" not in target and Path(target).exists() and not force:
        raise OutputExists(f"{target}: already exists")
    spark = session(master)
    spark.sparkContext.setLogLevel("ERROR")  # Spark's INFO and WARN lines would drown the one summary line
    started = time.perf_counter()
    df = read(spark, source, input_format)
    text = column_of(df.columns, text_column)
    ident = None if id_column is None else column_of(df.columns, id_column, "id")
    scored = score(df, loaded, text, ident, threshold=threshold)
    writer = scored.write.mode("overwrite" if force else "errorifexists")
    from pyspark.errors import AnalysisException

    try:
        if out_format == "csv" or out_format == "tsv":
            writer.option("header", True).option("sep", "\t" if out_format == "tsv" else ",").csv(target)
        elif out_format == "jsonl":
            writer.json(target)
        else:
            writer.parquet(target)
    except AnalysisException as exc:
        raise EngineError(f"{target}: {_first_line(exc)}") from None
    except Exception as exc:
        if type(exc).__name__ in ("Py4JJavaError", "PythonException", "SparkRuntimeException"):
            raise EngineError(f"the Spark job failed ({_first_line(exc)})") from None
        raise
    seconds = time.perf_counter() - started
    written = read(spark, target, out_format)
    from pyspark.sql import functions as F

    counts = written.agg(F.count("*").alias("rows"), F.sum(F.col("label").isNull().cast("int")).alias("none")).first()
    return ScoreSummary(target, counts["rows"], counts["none"] or 0, seconds, scored.rdd.getNumPartitions(), text)
