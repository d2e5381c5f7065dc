"""The prediction record: its columns, in order, and its values, rounded once. Every output derives from it:
``predict``'s and ``evaluate --predictions``' writers (JSON lines, CSV, TSV, Parquet), ``serve``'s answers,
:mod:`sentiment_cli.arrow` and :func:`sentiment_cli.spark.score`.

Also the JSON that every record and document is written as (:func:`json_text`). Imports neither pyarrow nor
anything of the terminal: the prediction path and the server use it.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

from .config import PROBABILITY_DECIMALS
from .errors import DataError

Kind = Literal["source", "id", "label", "probability", "class", "carried"]


class Column(NamedTuple):
    """One column of a prediction record. ``kind``: ``source`` (``FILE``, ``FILE:LINE``, ``<stdin>:LINE``),
    ``id`` (the input's id column, named ``id``), ``label`` (text; empty when not scored), ``probability`` (of
    the second class for two classes, of the label for more), ``class`` (``p_CLASS``: one class's probability,
    models of more than two classes), ``carried`` (an input column kept as it is)."""

    name: str
    kind: Kind
    of: str | None = None
    """The class of a ``class`` column."""

    @property
    def predicted(self) -> bool:
        """Whether the model gives it (what :mod:`sentiment_cli.arrow` and Spark add to a table)."""
        return self.kind in ("label", "probability", "class")

    @property
    def number(self) -> bool:
        """Whether it holds a probability (a float, six decimals)."""
        return self.kind in ("probability", "class")


def class_column(name: str) -> str:
    """The column of one class's probability: ``p_CLASS``."""
    return f"p_{name}"


def prediction_columns(classes: Sequence[str], *, with_id: bool = False, keep: Sequence[str] = ()) -> list[Column]:
    """The columns of a prediction record for a model with these classes, in output order: ``source``, ``id``
    (``with_id``), ``label``, ``probability``, ``p_CLASS`` for every class (more than two classes), then the
    kept input columns."""
    columns = [Column("source", "source"), *([Column("id", "id")] if with_id else [])]
    columns += predicted_columns(classes)
    return columns + [Column(name, "carried") for name in keep]


def predicted_columns(classes: Sequence[str]) -> list[Column]:
    """The columns the model gives (``label``, ``probability``, ``p_CLASS``...): :func:`prediction_columns`
    without the source and the carried ones."""
    columns = [Column("label", "label"), Column("probability", "probability")]
    if len(classes) > 2:
        columns += [Column(class_column(name), "class", name) for name in classes]
    return columns


def rounded(value: float | None) -> float | None:
    """A probability as every output writes it: Python's ``round`` (correctly rounded) to
    :data:`~sentiment_cli.config.PROBABILITY_DECIMALS` decimals; None stays None."""
    return None if value is None else round(value, PROBABILITY_DECIMALS)


def prediction_record(
    p: Any, classes: Sequence[str], *, with_id: bool = False, keep: Sequence[str] = (), nested: bool = True
) -> dict[str, Any]:
    """One prediction (or a table row without text: no label, no probabilities) as a dict in
    :func:`prediction_columns` order. ``nested`` (JSON): the class probabilities as one ``probabilities``
    object after ``probability``; else (tables) as their ``p_CLASS`` columns. A kept list or object is its JSON
    text; other kept values are as read."""
    record: dict[str, Any] = {}
    values: list[float | None] = []
    for column in _columns(tuple(classes), with_id, tuple(keep)):
        if column.kind == "source":
            record["source"] = valid_text(p.source)
        elif column.kind == "id":
            record["id"] = p.id
        elif column.kind == "label":
            record["label"] = getattr(p, "label", None)
        elif column.kind == "probability":
            record["probability"] = rounded(getattr(p, "probability", None))
            if len(classes) > 2:
                values = [rounded(v) for v in getattr(p, "probabilities", None) or [None] * len(classes)]
                if nested:
                    record["probabilities"] = dict(zip(classes, values, strict=True))
        elif column.kind == "class":
            if not nested:
                record[column.name] = values[classes.index(column.of)]
        else:
            value = (p.extra or {}).get(column.name)
            record[column.name] = json_text(value) if isinstance(value, dict | list) else value
    return record


def carried(p: Any, name: str) -> Any:
    """The value of a carried column (``id``, or a kept input column) of a prediction, as read."""
    return getattr(p, "id", None) if name == "id" else (getattr(p, "extra", None) or {}).get(name)


@functools.lru_cache(maxsize=64)
def _columns(classes: tuple[str, ...], with_id: bool, keep: tuple[str, ...]) -> tuple[Column, ...]:
    return tuple(prediction_columns(classes, with_id=with_id, keep=keep))


WEIGHT_DECIMALS = 6
"""Decimals of an explanation's weights in JSON."""


def json_record(
    p: Any,
    classes: Sequence[str],
    explanation: Any = None,
    *,
    with_id: bool = False,
    keep: Sequence[str] = (),
    explained: bool = False,
) -> dict[str, Any]:
    """What JSON lines output writes for one prediction, and ``sentiment serve`` answers: the nested
    :func:`prediction_record`, and with ``explained`` (``--explain``) the ``explanation`` (empty for a review
    the model cannot read), ``explanation_base``, ``explanation_logit`` and ``explanation_rest`` (base + the
    tokens' weights + rest = logit; null without an explanation) and ``phrases`` fields."""
    record = prediction_record(p, classes, with_id=with_id, keep=keep)
    if explained:
        tokens = explanation.tokens if explanation is not None else []
        record["explanation"] = [{**t.to_dict(), "weight": round(t.weight, WEIGHT_DECIMALS)} for t in tokens]
        known = explanation is not None and explanation.probability is not None
        for key in ("base", "logit", "rest"):
            record[f"explanation_{key}"] = round(getattr(explanation, key), WEIGHT_DECIMALS) if known else None
        if explanation is not None and explanation.phrases:
            record["phrases"] = [
                {**x.to_dict(), "weight": round(x.weight, WEIGHT_DECIMALS)} for x in explanation.phrases
            ]
    return record


# -- the input columns a table must have -------------------------------------------------------------


def check_columns(columns: Sequence[str], text_column: str, id_column: str | None = None) -> None:
    """A :class:`~sentiment_cli.errors.DataError` when the text (or id) column is not among ``columns``."""
    for role, name in (("text", text_column), ("id", id_column)):
        if name is not None and name not in columns:
            raise DataError(f"no {role} column {name!r} (columns: {', '.join(columns)})")


def check_no_clash(kept: Sequence[str], classes: Sequence[str]) -> None:
    """A :class:`~sentiment_cli.errors.DataError` when a kept input column has the name of a predicted one."""
    clash = sorted(set(kept) & {c.name for c in predicted_columns(classes)})
    if clash:
        raise DataError(f"input column {', '.join(clash)} would be overwritten by the predictions; rename it")


# -- JSON as every output writes it ----------------------------------------------------------------------

_SURROGATE = "[\ud800-\udfff]"
"""Lone surrogates; compiled on first use (``re`` caches it): compiling this range costs 4 ms of every start."""


def valid_text(value: str) -> str:
    """A file name that was not valid UTF-8 (Python keeps its bytes as lone surrogates) with those bytes as
    U+FFFD: JSON, CSV and Parquet output must be valid UTF-8, and a terminal must never get them raw (byte 0x9B
    is an 8-bit CSI). Any other lone surrogate (``"\\ud800"`` in a JSON table) is U+FFFD as well."""
    if value.isascii():
        return value
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return re.sub(_SURROGATE, "\ufffd", value)


def jsonable(value: Any) -> Any:
    """A value (a carried id or column, a record, a metric) as JSON can hold it, so that every JSON written is
    valid JSON: NaN and ±Infinity (a JSON ``NaN``, a Parquet double) become None (``null``), bytes (a Parquet
    ``binary`` column) their UTF-8 text, NumPy scalars Python's, text valid UTF-8; other objects (a date, a
    decimal) their text. Lists and objects are converted all through."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {valid_text(str(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return jsonable(value.item())
    if getattr(value, "is_finite", None) is not None and not value.is_finite():  # Decimal('NaN')
        return None
    return valid_text(str(value))


_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def json_text(value: Any, indent: int | None = None) -> str:
    """The one way JSON is written for a user (JSON lines, ``--format json``, a carried object in CSV): through
    :func:`jsonable`, and ``allow_nan=False`` so that nothing non-standard can slip through. The characters
    that readers splitting on any line break (Python's ``splitlines``, JavaScript) take for one, U+0085, U+2028
    and U+2029, are escaped, so a JSON line stays one line for them too."""
    text = json.dumps(jsonable(value), ensure_ascii=False, allow_nan=False, indent=indent)
    return text if text.isascii() else text.translate(_LINE_BREAKS)


def cell_text(value: Any) -> str | None:
    """A carried value as text, None for none (or NaN): JSON for lists, objects and booleans (``true``, not
    Python's ``True``), as JSON lines output writes them; bytes as their UTF-8 text; others as they are."""
    value = jsonable(value)
    if value is None:
        return None
    return value if isinstance(value, str) else json_text(value)
