"""The Arrow core every batch engine shares: a table of texts in, the same table's predictions out.

Columns and values are those of ``sentiment predict --output FILE.parquet``: ``label`` (string; null
when a row has no text or nothing the model knows), ``probability`` (float64, six decimals; of the
second class for two-class models, of ``label`` for more) and, for models of more than two classes,
``p_CLASS`` for every class. Imports pyarrow (and NumPy), never pandas or TensorFlow.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from .errors import DataError
from .metrics import reported_probabilities
from .records import Column, check_columns, check_no_clash, predicted_columns, rounded

if TYPE_CHECKING:
    from .api import Model


def arrow_type(column: Column) -> pa.DataType:
    """A prediction column's Arrow type: float64 for a probability, else string (the id and carried columns:
    as text, unless the input's own type is kept)."""
    return pa.float64() if column.number else pa.string()


def prediction_fields(labels: tuple[str, ...]) -> list[pa.Field]:
    """The prediction columns for a model with these classes (:func:`~sentiment_cli.records.predicted_columns`),
    in output order."""
    return [pa.field(c.name, arrow_type(c)) for c in predicted_columns(labels)]


def carried_types(paths: list[str], id_column: str | None, keep: tuple[str, ...]) -> dict[str, pa.DataType]:
    """The Arrow types of the columns a prediction file carries (``id`` and ``keep``) as the tables ``paths``
    store them when every one is a Parquet file, so an int64 key stays an int64 key to join on; none when one
    is not (CSV, JSON Lines: their values are written as text). A column whose files disagree is text too."""
    import pyarrow.parquet as pq

    from .tables import resolve_column

    found: dict[str, set[pa.DataType]] = {}
    for path in paths:
        try:
            schema = pq.read_schema(path)
        except (OSError, pa.ArrowException):
            return {}  # not Parquet (or unreadable, which the reader names): every carried column is text
        wanted = {name: name for name in keep}
        if id_column is not None:
            try:
                wanted["id"] = resolve_column(schema.names, id_column, "id", path)
            except DataError:
                continue
        for name, column in wanted.items():
            if column in schema.names:
                found.setdefault(name, set()).add(schema.field(column).type)
    return {name: types.pop() for name, types in found.items() if len(types) == 1}


def output_schema(model: Model, schema: pa.Schema, text_column: str, id_column: str | None = None) -> pa.Schema:
    """The schema :func:`score_batch` gives for input ``schema``: the id column (when given, named ``id`` as
    ``predict`` names it) or every input column, then the prediction columns."""
    _check_columns(schema, text_column, id_column)
    kept = [schema.field(id_column).with_name("id")] if id_column is not None else list(schema)
    check_no_clash([f.name for f in kept], model.labels)
    return pa.schema([*kept, *prediction_fields(model.labels)])


def _check_columns(schema: pa.Schema, text_column: str, id_column: str | None) -> None:
    check_columns(schema.names, text_column, id_column)
    kind = schema.field(text_column).type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)):
        raise DataError(f"the text column {text_column!r} is {kind}, not strings")


def prediction_arrays(model: Model, texts: list[Any], threshold: float | None = None) -> list[pa.Array]:
    """The prediction columns for ``texts`` (a row with no text, None or blank, gets nulls), in
    :func:`prediction_fields` order."""
    probabilities = model.predict_proba([text if isinstance(text, str) else None for text in texts])  # NaN rows
    classes = model.predictor.predicted_classes(probabilities, threshold)
    missing = classes < 0  # no text, or nothing the model knows
    labels = np.asarray(model.labels, dtype=object)[np.where(missing, 0, classes)]
    labels[missing] = None
    chosen = reported_probabilities(probabilities, classes)
    arrays = []
    for column in predicted_columns(model.labels):
        if column.kind == "label":
            arrays.append(pa.array(labels, pa.string()))
        elif column.kind == "probability":
            arrays.append(_rounded(chosen, missing))
        else:
            arrays.append(_rounded(probabilities[:, model.labels.index(column.of)], missing))
    return arrays


def _rounded(values: np.ndarray, missing: np.ndarray) -> pa.Array:
    """Rounded as every output rounds (:func:`~sentiment_cli.records.rounded`), nulls where ``missing``."""
    return pa.array(
        [None if gone else rounded(v) for v, gone in zip(values.tolist(), missing.tolist(), strict=True)], pa.float64()
    )


def score_batch(
    model: Model,
    batch: pa.RecordBatch,
    text_column: str,
    id_column: str | None = None,
    threshold: float | None = None,
) -> pa.RecordBatch:
    """One record batch's predictions: the id column (when given) or every input column, then the prediction
    columns, row for row."""
    schema = output_schema(model, batch.schema, text_column, id_column)
    kept = [batch.column(id_column)] if id_column is not None else list(batch.columns)
    texts = batch.column(text_column).to_pylist()
    return pa.RecordBatch.from_arrays([*kept, *prediction_arrays(model, texts, threshold)], schema=schema)


def score_batches(
    model: Model,
    batches: Iterable[pa.RecordBatch],
    text_column: str,
    id_column: str | None = None,
    threshold: float | None = None,
) -> Iterator[pa.RecordBatch]:
    """:func:`score_batch` over a stream of record batches (what Spark's ``mapInArrow`` hands a worker)."""
    for batch in batches:
        yield score_batch(model, batch, text_column, id_column, threshold)


def score_table(
    model: Model | str | os.PathLike[str] | None,
    table: pa.Table,
    text_column: str = "text",
    id_column: str | None = None,
    threshold: float | None = None,
) -> pa.Table:
    """Predictions for every row of ``table``, in order: the id column (when given) or every input column,
    then ``label``, ``probability`` (and ``p_CLASS`` for more than two classes), as ``sentiment predict``
    writes them to Parquet. A row whose text is null or blank, or holds nothing the model knows, gets
    null label and probabilities. ``model``: a :class:`~sentiment_cli.api.Model`, a model directory, or
    None (the shipped model)."""
    from .api import Model, load

    model = model if isinstance(model, Model) else load(model)
    schema = output_schema(model, table.schema, text_column, id_column)
    batches = list(score_batches(model, table.to_batches(max_chunksize=4096), text_column, id_column, threshold))
    return pa.Table.from_batches(batches, schema=schema)
