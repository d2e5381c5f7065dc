"""Reading labelled reviews: aclImdb folders and archives, tables (:mod:`.tables`), and the download.

Everything here returns plain data (:class:`Dataset`) or raises :class:`DataError`.
Archives are read member by member and never extracted, so a hostile archive
(``..`` paths, absolute paths, links, devices) cannot write anywhere.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tarfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from .errors import DataError, InputError, quoted
from .files import file_sha256
from .formats import table_format_of
from .labels import DROP, LabelMap, LabelScheme, infer_scheme, normalize, scheme_for_classes
from .textio import MAX_REVIEW_BYTES, decode, read_capped, shown_name, truncate

SPLITS = ("train", "validation", "test")
SPLIT_NAMES = {"train": "train", "training": "train", "validation": "validation", "valid": "validation",
               "val": "validation", "dev": "validation", "development": "validation", "test": "test"}  # fmt: skip
"""Values of a table's ``split`` column (any case). Reviews of a ``validation`` split pick the epoch and fit
the combiner instead of a random part of the training reviews."""
CLASS_FOLDERS = ("neg", "pos")
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")
RATING_COLUMN = "rating"
"""In the aclImdb layout, ``--label-column rating`` takes the 1-10 rating from file names ``ID_RATING.txt``."""
SHOWN_LINES = 10
"""Line numbers listed in a 'skipped' message; the count is always complete."""
_CHUNK = 1 << 20


@dataclass(frozen=True)
class TableOptions:
    """How to read a table of labelled reviews (every field optional: detected when None)."""

    input_format: str | None = None
    text_column: str | None = None
    label_column: str | None = None
    id_column: str | None = None
    label_map: str | None = None
    """``'1-2=negative,3=drop,4-5=positive'``: see :class:`sentiment_cli.labels.LabelMap`."""
    header: bool | None = None
    tree_nodes: str = "phrases"
    """Of a file of sentiment trees (:mod:`sentiment_cli.trees`): ``phrases``, every labelled node a row, or
    ``sentences``, the roots only."""


@dataclass
class Split:
    texts: list[str]
    labels: np.ndarray
    """Class ids (indices into :attr:`Dataset.classes`)."""
    sources: list[str] = field(default_factory=list)
    """Where each review came from: ``FILE:LINE`` or the review's file."""
    ids: list[Any] = field(default_factory=list)
    """Each review's value of the table's id column (None where it has none); empty without an id column."""

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, index: np.ndarray) -> Split:
        return Split(
            [self.texts[i] for i in index],
            self.labels[index],
            [self.sources[i] for i in index] if self.sources else [],
            [self.ids[i] for i in index] if self.ids else [],
        )


@dataclass
class Skipped:
    """Rows left out for one reason: how many, and the first lines (``SHOWN_LINES``) where it happened."""

    reason: str
    count: int = 0
    lines: list[int] = field(default_factory=list)
    detail: str = ""
    """What was wrong with the first such row, when rows differ (a parse error)."""
    spanned: int = 0
    """The physical lines those rows took (a quote that swallowed lines takes many)."""
    unit: str = "line"
    """What the numbers count: ``line``, or ``row`` for Parquet."""

    def add(self, line: int, detail: str = "", lines: int = 1) -> None:
        self.count += 1
        self.spanned += lines
        self.detail = self.detail or detail
        if len(self.lines) < SHOWN_LINES:
            self.lines.append(line)

    def message(self) -> str:
        shown = ", ".join(str(n) for n in self.lines)
        more = f" and {self.count - len(self.lines):,} more" if self.count > len(self.lines) else ""
        noun = "row" if self.count == 1 else "rows"
        where = f": {self.unit}{'s' if len(self.lines) > 1 else ''} {shown}{more}" if self.lines else ""
        spanned = f" ({self.spanned:,} lines in all)" if self.spanned > self.count else ""
        detail = f" (first: {self.detail})" if self.detail else ""
        return f"skipped {self.count:,} {noun} {self.reason}{where}{spanned}{detail}"


def split_name(name: str) -> str:
    """The split a name means: ``dev``, ``val``... are ``validation`` (:data:`SPLIT_NAMES`); others as given."""
    return SPLIT_NAMES.get(name.strip().lower(), name)


@dataclass
class Dataset:
    """Labelled reviews by split (``train``, and ``test`` when the source has one)."""

    splits: dict[str, Split]
    source: str
    fingerprint: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    """Files that could not be read, each as a one-line reason; the rest were used."""
    classes: tuple[str, ...] = ("negative", "positive")
    label_scheme: dict[str, Any] = field(default_factory=dict)
    """How the raw labels became classes (:meth:`sentiment_cli.labels.LabelScheme.to_dict`)."""
    rows_read: int = 0
    row_skips: list[Skipped] = field(default_factory=list)
    """Rows read but not used, by reason (only reasons that happened)."""
    columns: dict[str, str | None] = field(default_factory=dict)
    """The columns used (``text``, ``label``, ``id``) and ``guessed``: those chosen automatically."""
    notes: list[str] = field(default_factory=list)
    """What was detected on the user's behalf (format, header, columns, label scheme), for stderr."""
    warnings: list[str] = field(default_factory=list)
    """What did not go as asked (a label-map item that matched no label), for stderr."""

    def sizes(self) -> dict[str, int]:
        return {name: len(split) for name, split in self.splits.items()}

    def split(self, name: str) -> Split:
        """A split by name, or by another name for it (``dev`` for ``validation``: :func:`split_name`)."""
        name = split_name(name)
        if name not in self.splits:
            raise DataError(
                f"{self.source} has no {quoted(name)} split",
                f"it has: {', '.join(self.splits) or 'none'}",
            )
        return self.splits[name]

    def messages(self) -> list[str]:
        """One line per reason rows were skipped, and each warning, for stderr."""
        return [skip.message() for skip in self.row_skips if skip.count] + self.warnings

    def report(self) -> dict[str, Any]:
        """Counts for the model card and evaluate's output."""
        used = sum(self.sizes().values())
        return {
            "rows_read": self.rows_read or used,
            "rows_used": used,
            "rows_skipped": {skip.reason: skip.count for skip in self.row_skips if skip.count},
            "columns": dict(self.columns),
            "files_skipped": len(self.skipped),
        }


def combine(datasets: Sequence[Dataset]) -> Dataset:
    """Several data sets as one: each split the concatenation of theirs, in order. They must share their
    classes (read the later ones with ``classes=`` the first's); the first's label scheme is kept, and
    ``fingerprint["parts"]`` records each one's source, fingerprint and split sizes."""
    if not datasets:
        raise ValueError("no data sets to combine")
    if len(datasets) == 1:
        return datasets[0]
    first = datasets[0]
    for other in datasets[1:]:
        if tuple(other.classes) != tuple(first.classes):
            raise DataError(
                f"{other.source} has the classes {', '.join(other.classes)}, "
                f"{first.source} has {', '.join(first.classes)}: label them alike to train on both"
            )
    splits: dict[str, Split] = {}
    for name in dict.fromkeys(name for d in datasets for name in d.splits):
        parts = [d.splits[name] for d in datasets if name in d.splits]
        splits[name] = Split(
            [text for part in parts for text in part.texts],
            np.concatenate([part.labels for part in parts]),
            [source for part in parts for source in (part.sources or [""] * len(part))],
            [i for part in parts for i in (part.ids or [None] * len(part))] if any(p.ids for p in parts) else [],
        )
    return Dataset(
        splits,
        " + ".join(d.source for d in datasets),
        fingerprint={
            "parts": [
                {"source": d.source, **d.fingerprint, "splits": d.sizes(), "columns": d.columns} for d in datasets
            ]
        },
        skipped=[line for d in datasets for line in d.skipped],
        classes=first.classes,
        label_scheme=first.label_scheme,
        rows_read=sum(d.rows_read or sum(d.sizes().values()) for d in datasets),
        row_skips=[skip for d in datasets for skip in d.row_skips],
        columns=first.columns,
        notes=[note for d in datasets for note in d.notes],
        warnings=[line for d in datasets for line in d.warnings],
    )


def data_paths(dataset: Dataset) -> list[Path]:
    """The files or folders a data set was read from (each part's, for a combined one)."""
    parts = dataset.fingerprint.get("parts") or [dataset.fingerprint]
    return [Path(part["path"]) for part in parts if part.get("path")]


def load_dataset(
    path: str | os.PathLike[str],
    options: TableOptions | None = None,
    *,
    classes: Sequence[str] | None = None,
    scheme: dict[str, Any] | None = None,
) -> Dataset:
    """Read labelled reviews from an aclImdb-style folder or archive, or a table (CSV, TSV, JSON Lines,
    Parquet, optionally gzipped; the format is detected from the extension or the content).

    ``classes``: map the labels onto these (a trained model's) instead of inferring the classes;
    ``scheme``: that model's label scheme (its card's), tried first, so data labelled as the training
    data was (a ``--label-map`` included) maps the same way.
    """
    options = options or TableOptions()
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or directory")
    if path.is_dir():
        return _read_folder(path, options, classes, scheme)
    if options.input_format is None and path.name.lower().endswith(ARCHIVE_SUFFIXES):
        return _read_archive(path, options, classes, scheme)
    if options.input_format == TREES or (options.input_format is None and _holds_trees(path)):
        return _read_trees(path, options, classes, scheme)
    return _read_table(path, options, classes, scheme)


def _scheme(
    values: list[Any], options: TableOptions, classes: Sequence[str] | None, model: dict[str, Any] | None, source: str
) -> LabelScheme:
    label_map = None
    if options.label_map:
        try:
            label_map = LabelMap.parse(options.label_map)
        except ValueError as exc:
            raise DataError(str(exc)) from None
    if classes is None:
        return infer_scheme(values, label_map, source=source)
    if model and label_map is None:
        # the model's own mapping first: data labelled as its training data was maps the same way
        try:
            known = LabelScheme.from_dict(model)
        except ValueError:
            known = None
        if known is not None and tuple(known.classes) == tuple(classes):
            distinct = {normalize(v) for v in values} - {None}
            if distinct <= set(known.mapping):
                return known
    return scheme_for_classes(classes, values, label_map, source=source)


@dataclass
class _Rows:
    """Rows gathered before the label scheme is known: (split, text, raw label, source, line)."""

    items: list[tuple[str, str, Any, str, int]] = field(default_factory=list)
    ids: list[Any] | None = None
    """With an id column: each item's id, in the order of ``items``."""
    skips: dict[str, Skipped] = field(default_factory=dict)
    read: int = 0

    unit: str = "line"
    """What a skipped row's number counts: ``line``, or ``row`` (Parquet)."""

    def skip(self, reason: str, line: int, detail: str = "", lines: int = 1) -> None:
        self.skips.setdefault(reason, Skipped(reason, unit=self.unit)).add(line, detail, lines)

    def build(
        self,
        source: str,
        options: TableOptions,
        classes: Sequence[str] | None,
        model_scheme: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Dataset:
        scheme = _scheme([item[2] for item in self.items], options, classes, model_scheme, source)
        texts: dict[str, list[str]] = {}
        labels: dict[str, list[int]] = {}
        sources: dict[str, list[str]] = {}
        ids: dict[str, list[Any]] = {}
        for n, (split, text, raw, where, line) in enumerate(self.items):
            try:
                label = scheme.encode(raw)
            except KeyError:  # cannot happen: the scheme was made from these values
                raise DataError(f"{where}: label {quoted(raw)} is not one of the classes") from None
            if label is None:
                self.skip("without a label", line)
                continue
            if label is DROP:
                self.skip("whose label the label map drops", line)
                continue
            texts.setdefault(split, []).append(text)
            labels.setdefault(split, []).append(label)
            sources.setdefault(split, []).append(where)
            if self.ids is not None:
                ids.setdefault(split, []).append(self.ids[n])
        if not texts:
            raise DataError(f"{source}: no labelled reviews", "; ".join(s.message() for s in self.skips.values()))
        splits = {
            name: Split(texts[name], np.asarray(labels[name], dtype=np.int64), sources[name], ids.get(name, []))
            for name in sorted(texts, key=lambda s: SPLITS.index(s))
        }
        notes = [scheme.describe()]
        return Dataset(
            splits, source, classes=scheme.classes, label_scheme=scheme.to_dict(), rows_read=self.read,
            row_skips=list(self.skips.values()), notes=notes, warnings=list(scheme.warnings), **extra,
        )  # fmt: skip


# -- folders and archives in the aclImdb layout -------------------------------------------


def _classify(parts: tuple[str, ...], label_column: str | None) -> tuple[str, str] | None:
    """(split, raw label) for a review path ending in ``[split/]pos|neg/ID_RATING.txt``."""
    if len(parts) < 2 or not parts[-1].endswith(".txt") or parts[-2] not in CLASS_FOLDERS:
        return None
    split = parts[-3] if len(parts) >= 3 and parts[-3] in ("train", "test") else "train"
    if label_column is not None and label_column.strip().lower() == RATING_COLUMN:
        stem = parts[-1][:-4]
        rating = stem.rpartition("_")[2]
        return split, rating if rating.isdigit() else ""
    return split, parts[-2]


def _layout_column(options: TableOptions) -> str | None:
    column = options.label_column
    if column is not None and column.strip().lower() not in (RATING_COLUMN, "label", "folder"):
        raise DataError(
            f"label column {column!r} does not apply to an aclImdb folder or archive",
            "its labels are the pos/neg folders, or 'rating' for the 1-10 ratings in the file names",
        )
    return column


@dataclass
class _Decoded:
    """Review files decoded by the one policy of :mod:`.textio` (as ``predict`` reads them): how many were not
    valid UTF-8, and the first of them, for one note."""

    invalid: int = 0
    first: str = ""

    def text(self, raw: bytes, name: str) -> str:
        """The text of a review file (raises :class:`InputError` for one that is not text: NUL, bad UTF-16)."""
        text, invalid = decode(raw, name)
        if invalid:
            self.invalid += 1
            self.first = self.first or name
        return text

    def note(self, dataset: Dataset) -> Dataset:
        if self.invalid:
            files = "1 review file" if self.invalid == 1 else f"{self.invalid:,} review files (the first {self.first})"
            what = f"{self.first}: invalid UTF-8" if self.invalid == 1 else f"{files} not valid UTF-8"
            dataset.notes.append(f"{what}, undecodable bytes replaced with U+FFFD")
        return dataset


def _folder_root(path: Path) -> Path:
    """Descend through a lone wrapper folder such as ``aclImdb/``."""
    while True:
        children = [c for c in path.iterdir() if c.is_dir() and not c.name.startswith(".")]
        names = {c.name for c in children}
        if names & {"train", "test", *CLASS_FOLDERS} or len(children) != 1:
            return path
        path = children[0]


_NO_REVIEWS_HINT = "expected pos/ and neg/ folders of .txt files, optionally under train/ and test/"


def _read_folder(path: Path, options: TableOptions, classes: Sequence[str] | None, scheme: Any = None) -> Dataset:
    column = _layout_column(options)
    root = _folder_root(path)
    digest = hashlib.sha256()
    count = size = 0
    rows = _Rows()
    skipped = []
    long_files = 0
    decoded = _Decoded()
    for file in sorted(root.rglob("*.txt")):
        rel = file.relative_to(root).parts
        where = _classify(rel, column)
        if where is None or file.is_dir():
            continue
        name = shown_name(file)  # a name that is not valid UTF-8: its bad bytes as U+FFFD
        try:
            raw = _read_review(file)
        except OSError as exc:
            skipped.append(f"{name}: {exc.strerror or exc}")
            continue
        long = len(raw) > MAX_REVIEW_BYTES
        raw = truncate(raw)
        try:
            text = decoded.text(raw, name)
        except InputError as exc:  # not text (NUL bytes: a binary or sparse file): skipped and named, as predict
            skipped.append(exc.message)
            continue
        long_files += long
        digest.update(os.fsencode("/".join(rel)) + b"\0" + raw + b"\0")
        count += 1
        size += len(raw)
        rows.read += 1
        rows.items.append((where[0], text, where[1], name, count))
    if not rows.items:
        if skipped:
            raise DataError(f"{path}: no readable reviews ({len(skipped):,} could not be read; first: {skipped[0]})")
        raise DataError(f"{path}: no reviews found", _NO_REVIEWS_HINT)
    fingerprint = _fingerprint("folder", path, count, size, digest.hexdigest())
    dataset = rows.build(shown_name(path), options, classes, scheme, fingerprint=fingerprint, skipped=skipped)
    return decoded.note(_note_long(dataset, long_files))


def _read_review(file: Path) -> bytes:
    """A review file's first :data:`MAX_REVIEW_BYTES` (and one byte more, saying there was more); a
    dangling link, a FIFO, a device or a folder is an ``OSError`` naming it, never opened to wait."""
    if not file.exists():
        raise OSError(errno.ENOENT, "a dangling symbolic link" if file.is_symlink() else "vanished")
    mode = file.stat().st_mode
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else ""
        raise OSError(errno.EINVAL, f"not a regular file{f' ({kind})' if kind else ''}")
    with open(file, "rb") as handle:
        return read_capped(handle)


def _note_long(dataset: Dataset, count: int) -> Dataset:
    if count:
        limit = f"{MAX_REVIEW_BYTES >> 20} MiB"
        reviews = "1 review" if count == 1 else f"{count:,} reviews"
        dataset.notes.append(f"{reviews} longer than {limit}: only the first {limit} of each read")
    return dataset


def _read_archive(path: Path, options: TableOptions, classes: Sequence[str] | None, scheme: Any = None) -> Dataset:
    column = _layout_column(options)
    rows = _Rows()
    long_files = 0
    decoded = _Decoded()
    skipped: list[str] = []
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                if not member.isfile():  # links, devices, folders: never followed
                    continue
                where = _classify(PurePosixPath(member.name).parts, column)
                if where is None:
                    continue
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                # the header's size is known before anything is inflated: a huge member is read only to the cap
                long = member.size > MAX_REVIEW_BYTES
                raw = truncate(handle.read(MAX_REVIEW_BYTES + 1))
                name = f"{shown_name(path)}:{shown_name(member.name)}"
                try:
                    text = decoded.text(raw, name)
                except InputError as exc:  # not text: skipped and named, as in a folder
                    skipped.append(exc.message)
                    continue
                rows.read += 1
                long_files += long
                rows.items.append((where[0], text, where[1], name, rows.read))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise DataError(f"{path}: not a readable archive ({exc})", "the file may be truncated or corrupt") from None
    if not rows.items:
        if skipped:
            raise DataError(f"{path}: no readable reviews ({len(skipped):,} could not be read; first: {skipped[0]})")
        raise DataError(f"{path}: no reviews found", _NO_REVIEWS_HINT)
    sha, size = file_sha256(path), path.stat().st_size
    fingerprint = _fingerprint("archive", path, rows.read, size, sha)
    dataset = rows.build(str(path), options, classes, scheme, fingerprint=fingerprint, skipped=skipped)
    return decoded.note(_note_long(dataset, long_files))


def _fingerprint(kind: str, path: Path, files: int, size: int, sha: str) -> dict[str, Any]:
    return {"kind": kind, "path": str(path), "files": files, "bytes": size, "sha256": sha}


# -- sentiment trees (SST) -------------------------------------------------------------------------

TREES = "trees"
"""The input format of a file of bracketed sentiment trees, one per line (:mod:`sentiment_cli.trees`)."""


def _holds_trees(path: Path) -> bool:
    from .trees import first_line, looks_like_trees

    return table_format_of(path) is None and path.is_file() and looks_like_trees(first_line(path))


def _read_trees(path: Path, options: TableOptions, classes: Sequence[str] | None, scheme: Any = None) -> Dataset:
    """Every labelled phrase (or sentence) of a tree file as a row; its raw label is the node's (SST: 0-4),
    mapped as any table's labels are (a ``--label-map`` such as ``0-1=negative,2=drop,3-4=positive``)."""
    from .trees import NODES, TreeError, phrases, read_lines

    if options.tree_nodes not in NODES:
        raise DataError(f"tree nodes must be one of {', '.join(NODES)}, got {options.tree_nodes!r}")
    for given, what in ((options.text_column, "text"), (options.label_column, "label"), (options.id_column, "id")):
        if given is not None:
            raise DataError(f"a {what} column does not apply to a file of sentiment trees", "leave it out")
    rows = _Rows()
    seen: set[str] = set()
    for number, line in read_lines(path):
        if line is not None and not line.strip():
            continue
        rows.read += 1
        if line is None:
            rows.skip("that are not text", number)
            continue
        try:
            found = list(phrases(line, options.tree_nodes))
        except TreeError as exc:
            rows.skip("that are not a well-formed tree", number, f"line {number}: {exc}")
            continue
        for phrase in found:
            if phrase.text in seen:  # a phrase shared by several sentences is one row (SST labels it once)
                continue
            seen.add(phrase.text)
            rows.items.append(("train", phrase.text, phrase.label, f"{path}:{number}", number))
    if rows.read == 0:
        raise DataError(f"{path}: no trees")
    dataset = rows.build(
        str(path), options, classes, scheme,
        fingerprint=_fingerprint(TREES, path, 1, path.stat().st_size, file_sha256(path)),
        columns={"text": "phrase" if options.tree_nodes == "phrases" else "sentence", "label": "node label",
                 "id": None, "guessed": ""},
    )  # fmt: skip
    what = "every labelled phrase" if options.tree_nodes == "phrases" else "each sentence (the root)"
    dataset.notes.insert(0, f"read {path.name} as sentiment trees: {what} a row, {len(rows.items):,} rows")
    return dataset


# -- tables -------------------------------------------------------------------------------------


def _read_table(path: Path, options: TableOptions, classes: Sequence[str] | None, scheme: Any = None) -> Dataset:
    from .tables import Malformed, choose_columns, describe_reading, invalid_utf8, open_table, repeated_columns

    table = open_table(path, options.input_format, header=options.header)
    choice = choose_columns(table, options.text_column, options.label_column, options.id_column, need_label=True)
    split_key = next((c for c in table.columns if c.strip().lower() == "split"), None)
    rows = _Rows(unit="row" if table.format == "parquet" else "line")
    for chunk in table.records():
        for record in chunk:
            rows.read += 1
            if isinstance(record, Malformed):
                rows.skip("that could not be parsed", record.line, f"line {record.line}: {record.reason}", record.lines)
                continue
            values = record.values
            text = values.get(choice.text)
            if text is not None and not isinstance(text, str):
                rows.skip("whose text is not a string", record.line)
                continue
            if text is None or not text.strip():
                rows.skip("without text", record.line)
                continue
            split = "train"
            if split_key is not None:
                given = str(values.get(split_key) or "train").strip().lower()
                if given not in SPLIT_NAMES:
                    raise DataError(
                        f"{path}:{record.line}: split must be train, validation (or dev) or test, got {quoted(given)}"
                    )
                split = SPLIT_NAMES[given]
            label = values.get(choice.label)
            if isinstance(label, list | dict):  # multi-label data, or a nested object: not one class
                rows.skip("whose label is a list or object, not one value", record.line)
                continue
            if choice.id:  # the id kept beside FILE:LINE, and written as 'id' (evaluate --predictions)
                ident = values.get(choice.id)
                rows.ids = [] if rows.ids is None else rows.ids
                rows.ids.append(None if ident == "" else ident)
            rows.items.append((split, text, label, f"{path}:{record.line}", record.line))
    if rows.read == 0:
        raise DataError(f"{path}: no records")
    dataset = rows.build(
        str(path), options, classes, scheme,
        fingerprint=_fingerprint(table.format, path, 1, path.stat().st_size, file_sha256(path)),
        columns={"text": choice.text, "label": choice.label, "id": choice.id, "guessed": ", ".join(choice.guessed)},
    )  # fmt: skip
    dataset.notes[:0] = [describe_reading(table, choice)]
    if repeated := repeated_columns(table):
        dataset.notes.insert(1, repeated)
    if replaced := invalid_utf8(table):
        dataset.notes.append(replaced)
    return dataset
