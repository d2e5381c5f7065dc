"""Raw label values to class ids, for the label schemes people's tables actually use.

Every raw value is first normalized (:func:`normalize`): stripped and case-folded text, numbers in one
canonical spelling (``4.0``, ``"4"`` and ``" 4 "`` are all ``"4"``), booleans as ``"true"``/``"false"``;
``None``, NaN and blank text are *missing* (not a class: callers count and skip those rows).

:func:`infer_scheme` then recognises, from a training set's distinct values:

- ``binary``: 0/1, 0/4 (Sentiment140), -1/1, neg/pos, negative/positive, false/true, no/yes ->
  classes ``("negative", "positive")``, the negative-looking value being class 0;
- ``sentiment3``: negative/neutral/positive, neg/neu/pos, -1/0/1, 0/2/4 (Sentiment140's full scheme) ->
  ``("negative", "neutral", "positive")``;
- ``numeric``: any other all-number labels (1-5 stars, 1-10): one class per value, named by its canonical
  number and ordered numerically;
- ``named``: any other labels: the distinct values sorted (as scikit-learn's ``LabelEncoder`` does), except
  that sentiment words among them keep the order very negative < negative < neutral < positive < very positive;
- ``mapped``: a user's ``--label-map`` (:class:`LabelMap`), which may also drop values (:data:`DROP`).

:func:`scheme_for_classes` maps evaluation data onto the classes a trained model already has.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import numbers
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Literal

from .errors import DataError, clip, quoted

__all__ = [
    "DROP",
    "KINDS",
    "LabelMap",
    "LabelScheme",
    "MapItem",
    "infer_scheme",
    "normalize",
    "scheme_for_classes",
]


class _Drop(enum.Enum):
    DROP = "drop"

    def __repr__(self) -> str:
        return "DROP"


DROP: Final = _Drop.DROP
"""What :meth:`LabelMap.lookup` and :meth:`LabelScheme.encode` return for a value the label map drops."""

KINDS: Final = ("binary", "sentiment3", "named", "numeric", "mapped")
BINARY: Final = ("negative", "positive")
SENTIMENT3: Final = ("negative", "neutral", "positive")

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_RANGE = re.compile(
    r"\s*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*-"
    r"\s*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*"
)
_NAN_TEXT = frozenset({"nan", "+nan", "-nan"})

# Numeric spellings of the sentiment schemes: value -> meaning.
_NUMERIC_SCHEMES: Final = (
    {"0": "negative", "1": "positive"},
    {"0": "negative", "4": "positive"},
    {"-1": "negative", "1": "positive"},
    {"-1": "negative", "0": "neutral", "1": "positive"},
    {"0": "negative", "2": "neutral", "4": "positive"},
)
# Words a binary label is spelled with.
_BINARY_WORDS: Final = {
    "negative": "negative",
    "neg": "negative",
    "false": "negative",
    "no": "negative",
    "positive": "positive",
    "pos": "positive",
    "true": "positive",
    "yes": "positive",
}
# Words of three-class sentiment (also how a model's class names are read).
_SENTIMENT_WORDS: Final = {
    "negative": "negative",
    "neg": "negative",
    "neutral": "neutral",
    "neu": "neutral",
    "positive": "positive",
    "pos": "positive",
}
# Order of sentiment words among other named labels.
_SENTIMENT_RANK: Final = {
    "very negative": -2,
    "negative": -1,
    "neg": -1,
    "neutral": 0,
    "neu": 0,
    "positive": 1,
    "pos": 1,
    "very positive": 2,
}
_SHOW = 8  # values quoted in an error message before "... (N more)"


def normalize(value: Any) -> str | None:
    """Canonical text of a raw label: None for missing (None, NaN, '', whitespace); bool -> 'true'/'false'; ints
    and integral floats -> '4'; other floats -> shortest repr ('3.5'); strings stripped and casefolded, and a string
    that is a number is canonicalised the same way ('1.0' -> '1', ' 4 ' -> '4'). The text 'nan' is missing too.

    NumPy scalars and pyarrow scalars are read as the Python values they hold."""
    if value is None or isinstance(value, list | tuple | dict | set | frozenset):
        return None  # a list or object is not one label (tables count such rows apart: data._read_table)
    if not isinstance(value, str | bytes):
        as_py = getattr(value, "as_py", None)  # pyarrow scalar
        if callable(as_py):
            value = as_py()
            if value is None:
                return None
        if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):  # NumPy scalar or 0-d array
            dtype = value.dtype
            # float32's str is its shortest text; float(...) of it would show binary noise (0.10000000149011612)
            value = float(str(value)) if dtype.kind == "f" and dtype.itemsize < 8 else value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return _canonical_float(float(value))
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", errors="replace")
    text = (value if isinstance(value, str) else str(value)).strip().casefold()
    if not text or text in _NAN_TEXT:
        return None
    if _NUMBER.fullmatch(text):
        try:
            return str(int(text)) if _INTEGER.fullmatch(text) else _canonical_float(float(text))
        except ValueError:  # more digits than int() accepts: keep the text
            return text
    return text


def _canonical_float(number: float) -> str | None:
    if math.isnan(number):
        return None
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return str(int(number)) if number.is_integer() else repr(number)


def _number(normalized: str) -> Decimal | None:
    """The number a normalized label spells, exactly; None for a label that is not a number."""
    return Decimal(normalized) if _NUMBER.fullmatch(normalized) else None


def _value_order(normalized: str) -> tuple[int, Decimal, str]:
    """Numbers first, numerically, then text, alphabetically."""
    number = _number(normalized)
    return (0, number, "") if number is not None else (1, Decimal(0), normalized)


def _show(values: Sequence[str], limit: int = _SHOW) -> str:
    shown = ", ".join(quoted(v) for v in values[:limit])
    return shown + (f", ... ({len(values) - limit} more)" if len(values) > limit else "")


def _distinct(values: Iterable[Any]) -> list[str]:
    """Distinct normalized non-missing values, in order of first appearance."""
    seen: dict[str, None] = {}
    cache: dict[tuple[type, Any], str] = {}  # raw values repeat: normalize each once
    for value in values:
        try:
            key = (type(value), value)  # type too: 1, 1.0 and True are equal keys
            normalized: str | None = cache[key]
        except KeyError:
            normalized = normalize(value)
            if normalized is not None and len(cache) < 10_000:
                cache[key] = normalized
        except TypeError:  # unhashable
            normalized = normalize(value)
        if normalized is not None:
            seen[normalized] = None
    return list(seen)


@dataclass(frozen=True)
class MapItem:
    """One ``KEY=CLASS`` item of a label map. ``key`` is a normalized value, ``"*"``, or ``"A-B"`` for the
    inclusive range ``low..high``; ``target`` is a class name or :data:`DROP`."""

    key: str
    target: str | Literal[_Drop.DROP]
    low: Decimal | None = None
    high: Decimal | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None


@dataclass(frozen=True)
class LabelMap:
    """A user's ``--label-map``, e.g. ``1-2=negative,3=drop,4-5=positive``.

    Comma-separated ``KEY=CLASS`` items. KEY is a value (compared normalized: ``Pos``, ``pos `` and ``POS`` are
    the same key, as are ``4``, ``4.0`` and ``+4``), an inclusive numeric range ``A-B`` (``-2--1`` is -2 to -1),
    or ``*`` for every other value. CLASS is a class name, or ``drop`` to drop those rows. A value matching both a
    value key and a range takes the value key's class (``1-5=negative,3=drop``); ``*`` comes last. A map of drops
    only (``neutral=drop``) drops those values and reads the others as they would be read without a map."""

    items: tuple[MapItem, ...]
    spec: str

    @classmethod
    def parse(cls, spec: str) -> LabelMap:
        """Parse ``spec``; ValueError("label map: ...") says what is wrong with it."""
        if not spec.strip():
            raise ValueError("label map: the map is empty")
        items: list[MapItem] = []
        for raw in spec.split(","):
            item = raw.strip()
            if not item:
                raise ValueError(f"label map: empty item in {spec!r} (two commas in a row, or one at an end)")
            if "=" not in item:
                raise ValueError(f"label map: {item!r} is not KEY=CLASS")
            key_text, _, class_text = (part.strip() for part in item.partition("="))
            if not key_text:
                raise ValueError(f"label map: {item!r} has an empty key")
            if not class_text:
                raise ValueError(f"label map: {item!r} has an empty class name")
            target: str | Literal[_Drop.DROP] = DROP if class_text.casefold() == "drop" else class_text
            items.append(_parse_key(key_text, target))
        _check(items)
        return cls(tuple(items), spec)

    @property
    def drops_only(self) -> bool:
        return all(item.target is DROP for item in self.items)

    def lookup(self, normalized: str) -> str | Literal[_Drop.DROP] | None:
        """The class name for a normalized value, :data:`DROP`, or None when no item covers it."""
        found = self.item_for(normalized)
        return found.target if found else None

    def item_for(self, normalized: str) -> MapItem | None:
        """The item that decides a normalized value's class: its value key, else a range holding it, else ``*``."""
        number = _number(normalized)
        in_range = star = None
        for item in self.items:
            if item.key == "*":
                star = item
            elif item.is_range:
                if in_range is None and number is not None and item.low <= number <= item.high:  # type: ignore[operator]
                    in_range = item
            elif item.key == normalized:
                return item
        return in_range or star

    def unmatched(self, distinct: Iterable[str]) -> list[MapItem]:
        """The items other than ``*`` that decide none of these normalized values: a typo (``-2--1`` for
        ``1-2``, ``0x1``, full-width digits), or a value the data does not have."""
        used = {id(self.item_for(value)) for value in distinct}
        return [item for item in self.items if item.key != "*" and id(item) not in used]

    @property
    def star(self) -> MapItem | None:
        return next((item for item in self.items if item.key == "*"), None)

    @property
    def classes(self) -> tuple[str, ...]:
        """Class names in order of first appearance in the spec, ``drop`` excluded."""
        return tuple(dict.fromkeys(item.target for item in self.items if isinstance(item.target, str)))


def _parse_key(text: str, target: str | Literal[_Drop.DROP]) -> MapItem:
    if text == "*":
        return MapItem("*", target)
    match = _RANGE.fullmatch(text)
    if match:
        low, high = Decimal(match[1]), Decimal(match[2])
        key = f"{normalize(match[1])}-{normalize(match[2])}"
        if low > high:
            raise ValueError(f"label map: range {text!r} is empty ({normalize(match[1])} > {normalize(match[2])})")
        return MapItem(key, target, low, high)
    key = normalize(text)
    if key is None:
        raise ValueError(f"label map: key {text!r} means a missing label; missing labels are always skipped")
    return MapItem(key, target)


def _check(items: list[MapItem]) -> None:
    """Conflicts a spec can have: one key, two classes; overlapping ranges with different classes; no class."""

    def name(target: str | Literal[_Drop.DROP]) -> str:
        return "drop" if target is DROP else str(target)

    first: dict[str, MapItem] = {}
    for item in items:
        earlier = first.setdefault(item.key, item)
        if earlier.target != item.target:
            raise ValueError(
                f"label map: {item.key!r} is mapped to both {name(earlier.target)!r} and {name(item.target)!r}"
            )
    ranges = [item for item in first.values() if item.is_range]
    for i, one in enumerate(ranges):
        for other in ranges[i + 1 :]:
            if one.target != other.target and one.low <= other.high and other.low <= one.high:  # type: ignore[operator]
                raise ValueError(f"label map: ranges {one.key!r} and {other.key!r} overlap")
    if any(item.key == "*" and item.target is DROP for item in items) and all(item.target is DROP for item in items):
        raise ValueError("label map: '*=drop' with nothing but drops leaves no label; name at least one class")
    classes = dict.fromkeys(item.target for item in items if isinstance(item.target, str))
    folded: dict[str, str] = {}
    for class_name in classes:
        same = folded.setdefault(class_name.casefold(), class_name)
        if same != class_name:
            raise ValueError(f"label map: class names {same!r} and {class_name!r} differ only in case")


@dataclass(frozen=True)
class LabelScheme:
    """How a data set's label values become class ids; stored in the model card.

    ``mapping`` has one entry per normalized value seen: its class id, or None when the label map drops it."""

    classes: tuple[str, ...]
    mapping: dict[str, int | None]
    kind: str
    warnings: tuple[str, ...] = field(default=(), compare=False)
    """What the label map did not do (an item that matched no label), for stderr; not stored in the card."""

    def __post_init__(self) -> None:
        classes, mapping = self.classes, self.mapping
        if isinstance(classes, str) or not isinstance(classes, tuple | list):
            raise ValueError("label scheme: classes must be a list of class names")
        if not all(isinstance(c, str) and c.strip() for c in classes):
            raise ValueError("label scheme: class names must be non-empty strings")
        if len({normalize(c) for c in classes}) != len(classes):
            raise ValueError(f"label scheme: class names must be unique, got {list(classes)!r}")
        if len(classes) < 2:
            raise ValueError("label scheme: at least two classes are needed")
        if self.kind not in KINDS:
            raise ValueError(f"label scheme: unknown kind {self.kind!r} (expected one of {', '.join(KINDS)})")
        if not isinstance(mapping, dict):
            raise ValueError("label scheme: mapping must be an object of label -> class id")
        for key, class_id in mapping.items():
            if not isinstance(key, str) or normalize(key) != key:
                raise ValueError(f"label scheme: mapping key {key!r} is not a normalized label")
            if class_id is not None and (
                not isinstance(class_id, int) or isinstance(class_id, bool) or not 0 <= class_id < len(classes)
            ):
                raise ValueError(
                    f"label scheme: mapping of {key!r} is {class_id!r}, not a class id 0..{len(classes) - 1} or null"
                )
        object.__setattr__(self, "classes", tuple(classes))
        object.__setattr__(self, "mapping", dict(mapping))

    def encode(self, value: Any) -> int | Literal[_Drop.DROP] | None:
        """Class id of a raw value; None if it is missing; :data:`DROP` if the map drops it.
        Raises KeyError(normalized value) for a value the scheme does not know."""
        key = normalize(value)
        if key is None:
            return None
        try:
            class_id = self.mapping[key]
        except KeyError:
            raise KeyError(key) from None
        return DROP if class_id is None else class_id

    def describe(self) -> str:
        """One line for stderr: ``labels: 0 -> negative, 1 -> positive`` or ``labels: 3 classes (a, b, c)``."""
        if not self.mapping:
            return "labels: none"
        ids = set(self.mapping.values())
        if ids == set(range(len(self.classes))) and all(
            class_id is not None and normalize(self.classes[class_id]) == key for key, class_id in self.mapping.items()
        ):
            return f"labels: {len(self.classes)} classes ({_join(self.classes)})"
        groups: dict[int | None, list[str]] = {}
        for key in sorted(self.mapping, key=_value_order):
            groups.setdefault(self.mapping[key], []).append(key)
        parts = [
            f"{_compress(keys)} dropped" if class_id is None else f"{_compress(keys)} -> {self.classes[class_id]}"
            for class_id, keys in groups.items()
        ]
        return "labels: " + ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for the model card."""
        return {"classes": list(self.classes), "kind": self.kind, "mapping": dict(self.mapping)}

    @classmethod
    def from_dict(cls, data: Any) -> LabelScheme:
        """Read :meth:`to_dict`'s output back; ValueError on anything malformed."""
        if not isinstance(data, dict):
            raise ValueError("label scheme: expected an object with classes, kind and mapping")
        classes, kind, mapping = data.get("classes"), data.get("kind"), data.get("mapping")
        if not isinstance(classes, list):
            raise ValueError("label scheme: classes must be a list of class names")
        if not isinstance(kind, str):
            raise ValueError("label scheme: kind must be a string")
        return cls(tuple(classes), mapping, kind)  # type: ignore[arg-type]


def _join(names: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _compress(keys: list[str], limit: int = _SHOW) -> str:
    """``1, 2, 3, 5`` -> ``1-3, 5``: runs of consecutive integers (keys already in value order)."""
    parts: list[str] = []
    run: list[int] = []

    def flush() -> None:
        if run:
            parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
            run.clear()

    for key in keys:
        if _INTEGER.fullmatch(key):
            number = int(key)
            if run and number != run[-1] + 1:
                flush()
            run.append(number)
        else:
            flush()
            parts.append(key)
    flush()
    return _join(parts, limit)


def _sentiment_slots(names: list[str]) -> list[str]:
    """Sorted names, with the sentiment words among them reordered negative < neutral < positive in their slots."""
    names = sorted(names)
    slots = [i for i, n in enumerate(names) if n in _SENTIMENT_RANK]
    ordered = sorted((names[i] for i in slots), key=lambda n: (_SENTIMENT_RANK[n], n))
    for i, n in zip(slots, ordered, strict=True):
        names[i] = n
    return names


def _recognize(values: set[str]) -> tuple[str, dict[str, str]] | None:
    """``(kind, value -> class)`` when the values are a complete binary or three-class sentiment scheme."""
    for scheme in _NUMERIC_SCHEMES:
        if values == scheme.keys():
            return ("binary" if len(scheme) == 2 else "sentiment3"), scheme
    if values <= _BINARY_WORDS.keys():
        meaning = {v: _BINARY_WORDS[v] for v in values}
        if set(meaning.values()) == set(BINARY):
            return "binary", meaning
    if values <= _SENTIMENT_WORDS.keys():
        meaning = {v: _SENTIMENT_WORDS[v] for v in values}
        if set(meaning.values()) == set(SENTIMENT3):
            return "sentiment3", meaning
    return None


def _no_labels(source: str, hint: str | None = None) -> DataError:
    return DataError(f"{source} has no labels; at least two classes are needed", hint)


def _one_label(source: str, label: str, hint: str | None = None) -> DataError:
    return DataError(f"{source} has only one label: {quoted(label)}; at least two classes are needed", hint)


def _uncovered(source: str, values: list[str]) -> DataError:
    return DataError(
        f"{source} has labels the label map does not cover: {_show(values)}",
        hint="add them to the map, or end it with '*=drop' to drop every other value",
    )


def _map_checked(values: list[Any], label_map: LabelMap | None, source: str) -> tuple[str, ...]:
    """The warnings a label map earns on these values: one per item that matched no label. Raises DataError when
    the map has ``*`` with a class and every label ended in that one class while an item naming a class matched
    nothing: the values that item was meant for went to ``*`` (``-2--1=negative,*=positive`` for ``1-2``), and
    evaluate would score every review as that class with a plausible accuracy. Refused, not warned: with ``*``
    a typo and data of one class look the same, and naming the labels instead of ``*`` says which it is."""
    if label_map is None:
        return ()
    distinct = sorted(_distinct(values), key=_value_order)
    unmatched = label_map.unmatched(distinct)
    star = label_map.star
    if star is not None and star.target is not DROP and distinct:
        present = {item.target for item in map(label_map.item_for, distinct) if item is not None}
        missed = [item for item in unmatched if item.target is not DROP]
        if present - {DROP} == {star.target} and missed:
            keys = ", ".join(repr(item.key) for item in missed)
            raise DataError(
                f"label map: '*' took every label of {source} ({_show(distinct)}) to {star.target!r}: {keys} "
                "matched no label",
                hint=f"check {keys} against the labels found; if every review really is {star.target!r}, "
                "name its labels instead of '*'",
            )
    return tuple(f"label map: {item.key!r} matched no label (labels found: {_show(distinct)})" for item in unmatched)


def infer_scheme(
    values: Iterable[Any], label_map: LabelMap | None = None, *, max_classes: int = 50, source: str = "the data"
) -> LabelScheme:
    """From the raw label values of a training set (missing ones ignored). Raises DataError when there is only one
    class ("<source> has only one label: 'positive'; at least two classes are needed"), when there are more than
    max_classes distinct values (message shows the count and the first few values, and hints at the label column or
    a label map), or when the map leaves values uncovered, or sends every label to ``*``'s class while an item
    matched nothing; an item that matched no label is a warning (``warnings``)."""
    values = list(values)
    warnings = _map_checked(values, label_map, source)
    scheme = _infer_scheme(values, label_map, max_classes=max_classes, source=source)
    return dataclasses.replace(scheme, warnings=warnings) if warnings else scheme


def _infer_scheme(
    values: list[Any], label_map: LabelMap | None = None, *, max_classes: int = 50, source: str = "the data"
) -> LabelScheme:
    distinct = _distinct(values)
    if not distinct:
        raise _no_labels(source)
    if label_map is not None and label_map.drops_only:  # drop these, read the rest as without a map
        dropped = [v for v in distinct if label_map.lookup(v) is DROP]
        scheme = _infer_scheme([v for v in distinct if v not in dropped], max_classes=max_classes, source=source)
        return LabelScheme(scheme.classes, {**scheme.mapping, **dict.fromkeys(dropped)}, scheme.kind)
    if label_map is not None:
        return _mapped(distinct, label_map, max_classes, source)
    if len(distinct) == 1:
        raise _one_label(source, distinct[0])
    if len(distinct) > max_classes:
        raise DataError(
            f"{source} has {len(distinct)} different labels, more than the {max_classes} classes allowed: "
            f"{_show(distinct, 5)}",
            hint="check that the label column is the right one, or group the values with a label map, "
            "e.g. '1-2=negative,4-5=positive'",
        )
    order = sorted(distinct, key=_value_order)
    recognized = _recognize(set(distinct))
    if recognized:
        kind, meaning = recognized
        classes = BINARY if kind == "binary" else SENTIMENT3
        return LabelScheme(classes, {v: classes.index(meaning[v]) for v in order}, kind)
    if all(_number(v) is not None for v in distinct):
        kind, classes = "numeric", tuple(order)
    else:
        kind, classes = "named", tuple(_sentiment_slots(distinct))
    index = {name: i for i, name in enumerate(classes)}
    return LabelScheme(classes, {v: index[v] for v in order}, kind)


def _mapped(distinct: list[str], label_map: LabelMap, max_classes: int, source: str) -> LabelScheme:
    targets = {v: label_map.lookup(v) for v in sorted(distinct, key=_value_order)}
    uncovered = [v for v in distinct if targets[v] is None]
    if uncovered:
        raise _uncovered(source, uncovered)
    classes = label_map.classes
    if len(classes) > max_classes:
        raise DataError(f"the label map names {len(classes)} classes, more than the {max_classes} allowed")
    present = list(dict.fromkeys(t for t in targets.values() if isinstance(t, str)))
    dropped = "the other labels were dropped by the label map" if DROP in targets.values() else None
    if not present:
        raise _no_labels(source, "every label was dropped by the label map")
    if len(present) == 1:
        raise _one_label(source, present[0], dropped)
    canonical = {normalize(c) for c in classes}
    for known in (BINARY, SENTIMENT3):
        if canonical == set(known):  # the positive class is the last, whatever order the map named them in
            order = {normalize(c): c for c in classes}
            classes = tuple(order[name] for name in known)
    index = {name: i for i, name in enumerate(classes)}
    return LabelScheme(classes, {v: None if t is DROP else index[t] for v, t in targets.items()}, "mapped")  # type: ignore[index]


def _kind_of(classes: Sequence[str]) -> str:
    names = tuple(normalize(c) for c in classes)
    if names == BINARY:
        return "binary"
    if names == SENTIMENT3:
        return "sentiment3"
    if all(n is not None and _number(n) is not None for n in names):
        return "numeric"
    return "named"


def scheme_for_classes(
    classes: Sequence[str], values: Iterable[Any], label_map: LabelMap | None = None, *, source: str = "the data"
) -> LabelScheme:
    """:func:`_scheme_for_classes`, with the label map's items that matched nothing as ``warnings`` (and every
    label sent to ``*``'s class while an item matched nothing refused, as :func:`infer_scheme` does)."""
    values = list(values)
    warnings = _map_checked(values, label_map, source)
    scheme = _scheme_for_classes(classes, values, label_map, source=source)
    return dataclasses.replace(scheme, warnings=warnings) if warnings else scheme


def _scheme_for_classes(
    classes: Sequence[str], values: Iterable[Any], label_map: LabelMap | None = None, *, source: str = "the data"
) -> LabelScheme:
    """Map evaluation data's raw labels onto a trained model's classes (from its card). Each distinct value maps to
    the class of the same name (normalized), or through the same recognition as infer_scheme (e.g. data labelled 0/1
    against classes ('negative','positive'); 'pos'/'neg'; 1-5 stars only via a label map), or through label_map.
    Data with only a subset of the classes is fine (e.g. evaluating on positives only). A value that maps to no class
    of the model raises DataError listing the unknown values and the model's classes.

    A number that means different classes in different schemes the model's classes allow (0 is negative in 0/2/4
    but neutral in -1/0/1) is a DataError too, asking for a label map."""
    classes = tuple(classes)
    by_name = {normalize(c): i for i, c in enumerate(classes)}
    model_classes = f"the model's classes are {', '.join(classes)}"
    distinct = sorted(_distinct(values), key=_value_order)
    mapping: dict[str, int | None] = {}
    if label_map is not None and label_map.drops_only:  # drop these, match the rest as without a map
        dropped = [v for v in distinct if label_map.lookup(v) is DROP]
        scheme = _scheme_for_classes(classes, [v for v in distinct if v not in dropped], source=source)
        return LabelScheme(classes, {**scheme.mapping, **dict.fromkeys(dropped)}, scheme.kind)
    if label_map is not None:
        foreign = [c for c in label_map.classes if normalize(c) not in by_name]
        if foreign:
            raise DataError(f"the label map names classes the model does not have: {_show(foreign)} ({model_classes})")
        uncovered = []
        for value in distinct:
            target = label_map.lookup(value)
            if target is None:
                uncovered.append(value)
            else:
                mapping[value] = None if target is DROP else by_name[normalize(target)]
        if uncovered:
            raise _uncovered(source, uncovered)
        return LabelScheme(classes, mapping, "mapped")

    polarity: dict[str, int] = {}  # meaning -> class id, from the model's class names
    for i, name in enumerate(classes):
        meaning = _SENTIMENT_WORDS.get(normalize(name) or "")
        if meaning:
            polarity.setdefault(meaning, i)
    rest = [v for v in distinct if v not in by_name]
    numbers_meaning, ambiguous = _read_numbers([v for v in rest if _number(v) is not None], set(polarity))
    unknown = []
    for value in distinct:
        if value in by_name:
            mapping[value] = by_name[value]
        elif value in ambiguous:
            continue
        elif (meaning := numbers_meaning.get(value) or _BINARY_WORDS.get(value) or _SENTIMENT_WORDS.get(value)) and (
            meaning in polarity
        ):
            mapping[value] = polarity[meaning]
        else:
            unknown.append(value)
    if unknown:
        raise DataError(
            f"{source} has labels the model does not know: {_show(unknown)} ({model_classes})",
            hint=f"leave them out with a label map, e.g. '{clip(unknown[0])}=drop', or name their class: "
            f"'{clip(unknown[0])}={classes[0]}'",
        )
    if ambiguous:
        raise DataError(
            f"{source} has labels that could mean different classes: {_show(ambiguous)} ({model_classes})",
            hint=f"say which class each value is with a label map, e.g. '{clip(ambiguous[0])}={classes[0]}'",
        )
    return LabelScheme(classes, mapping, _kind_of(classes))


def _read_numbers(values: list[str], meanings: set[str]) -> tuple[dict[str, str], list[str]]:
    """Meaning of each number under the numeric schemes that contain all of ``values`` (preferring those whose
    meanings the model has), and the numbers those schemes disagree on."""
    if not values:
        return {}, []
    covering = [s for s in _NUMERIC_SCHEMES if set(values) <= s.keys()]
    schemes = [s for s in covering if set(s.values()) <= meanings] or covering
    read: dict[str, str] = {}
    ambiguous: list[str] = []
    for value in values:
        found = {s[value] for s in schemes}
        if len(found) == 1:
            read[value] = found.pop()
        elif found:
            ambiguous.append(value)
    return read, ambiguous
