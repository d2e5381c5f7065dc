"""The model directory: written atomically, read and verified without TensorFlow.

Layout (no pickles anywhere)::

    card.json        configuration, labels, metrics, data fingerprint, versions, file hashes
    tokenizer.json   the vocabulary and tokenizer settings as plain JSON
    ngrams.npy       (hybrid models) the n-gram table: sorted uint32 keys, loaded with allow_pickle=False
    model.keras      the Keras model (loaded with safe_mode=True)
    model.tflite     the LiteRT flatbuffer used by ``predict``
    report.html      the training report (written by ``sentiment train``; older models may lack it)
"""

from __future__ import annotations

import contextlib
import copy
import errno
import hashlib
import io
import json
import math
import os
import re
import shutil
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .config import ModelConfig, is_count, window_head
from .errors import DataError, ModelError, OutputError, OutputExists
from .files import clash, hold, release, remove_stale
from .metrics import JsonRecord, Metrics, got
from .text import Encoder

CARD_FORMAT = 2
"""Version 2 added ``label_scheme`` and ``command`` and N-class models. Version 1 cards (binary) still load,
except the earliest (sentiment-cli 0.1.0 before ``litert.output``), whose flatbuffer output a probability,
not a logit: they are refused with a message that says so (:class:`_RetiredFormat`)."""
CARD_FILE = "card.json"
TOKENIZER_FILE = "tokenizer.json"
KERAS_FILE = "model.keras"
LITERT_FILE = "model.tflite"
NGRAMS_FILE = "ngrams.npy"
REPORT_FILE = "report.html"
REQUIRED_FILES = (TOKENIZER_FILE, KERAS_FILE, LITERT_FILE)
PURPOSES = {
    "predict": (TOKENIZER_FILE, LITERT_FILE, NGRAMS_FILE),
    "evaluate": (TOKENIZER_FILE, LITERT_FILE, NGRAMS_FILE),
    "inspect": (TOKENIZER_FILE, KERAS_FILE, NGRAMS_FILE),
}
"""The files each use of a model directory reads (and verifies); the others must exist but are not read."""
MAX_FILE_BYTES = 1 << 30
"""Largest file a model directory may list (the shipped model's largest is 4 MB)."""
MAX_CARD_BYTES = 64 << 20
MAX_LITERT_BATCH = 4096
_SHA256 = re.compile(r"[0-9a-f]{64}")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Verifying:
    """Files' bytes checked against their sha256 in a thread, while the tokenizer is parsed (hashlib lets go
    of the GIL on large buffers, so the 7 MB flatbuffer is hashed on another core): :meth:`check` waits for
    it and names the first file that does not match."""

    def __init__(self, files: list[tuple[Path, bytes, str]]) -> None:
        import threading

        self.files, self.altered = files, None
        self._thread = threading.Thread(target=self._run, name="sentiment-cli-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.altered = next((file for file, data, digest in self.files if sha256_bytes(data) != digest), None)

    def check(self) -> None:
        self._thread.join()
        if self.altered is not None:
            raise ModelError(f"{self.altered}: contents do not match the model card's sha256 (damaged or altered)")


class FileEntry(NamedTuple):
    sha256: str
    bytes: int


class LiteRTInfo(NamedTuple):
    batch_size: int
    inputs: tuple[str, ...]
    output: str = "logit"
    """``logit``: one log-odds per review (two classes); ``logits``: one logit per class."""


History = dict[str, list[float]]
"""One fitted network's curves per epoch: ``loss``, ``accuracy`` and, with a validation split, ``val_loss`` and
``val_accuracy``."""


def kept_epoch(history: History) -> int | None:
    """The epoch whose weights a fit kept (1-based): with a validation split, the first with the lowest
    validation loss (early stopping restores it); without one, the last (nothing is restored). None for no
    epochs. The one rule: training writes it to the card, and the charts read it from there."""
    if history.get("val_loss"):
        losses = history["val_loss"]
        return min(range(len(losses)), key=losses.__getitem__) + 1
    return len(history["loss"]) if history.get("loss") else None


def _typed(section: dict[str, Any], key: str, check: Any, what: str, where: str) -> Any:
    """``section[key]`` (None when absent) if ``check`` accepts it, else ``ValueError`` naming the field."""
    value = section.get(key)
    if value is not None and not check(value):
        raise ValueError(f"{where}.{key} must be {what}{got(value)}")
    return value


def _counts(value: Any) -> bool:
    return isinstance(value, dict) and all(is_count(v) for v in value.values())


def _numbers(value: Any) -> bool:
    return isinstance(value, dict) and all(_finite(v) for v in value.values())


def _object(value: Any) -> bool:
    return isinstance(value, dict)


_TRAINING_KEYS = (
    "epochs_run", "best_epoch", "fit_seconds", "combiner", "embeddings", "train_reviews", "validation_reviews",
    "total_seconds", "workers", "replicas",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class TrainingRecord(JsonRecord):
    """The card's ``training`` section: how the model was fitted. Readable as the JSON object it is."""

    settings: dict[str, Any] = field(default_factory=dict)
    """The run's :class:`~sentiment_cli.config.TrainConfig` as it was (``epochs``, ``batch_size``...)."""
    epochs_run: dict[str, int] | None = None
    """Per fitted network (``the BiLSTM``, ``the n-gram bag``): epochs run."""
    kept_epoch: dict[str, int] | None = None
    """Per fitted network: the epoch whose weights were kept (:func:`kept_epoch`; ``best_epoch`` on disk)."""
    fit_seconds: dict[str, float] | None = None
    combiner: dict[str, Any] | None = None
    """A hybrid's combiner: ``bilstm_weight``, ``ngram_weight``, ``bias`` (and the gated weights), or for more
    classes ``kernel`` and ``bias``; empty for a seed model."""
    embeddings: dict[str, Any] | None = None
    """Where the embedding started, when it started from pretrained vectors."""
    train_reviews: int | None = None
    validation_reviews: int | None = None
    total_seconds: float | None = None
    workers: int | None = None
    replicas: int | None = None

    def to_dict(self) -> dict[str, Any]:
        values = {key: getattr(self, "kept_epoch" if key == "best_epoch" else key) for key in _TRAINING_KEYS}
        return copy.deepcopy(self.settings) | {key: copy.deepcopy(v) for key, v in values.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingRecord:
        w = "training"
        return cls(
            settings={key: value for key, value in data.items() if key not in _TRAINING_KEYS},
            epochs_run=_typed(data, "epochs_run", _counts, "an object of counts", w),
            kept_epoch=_typed(data, "best_epoch", _counts, "an object of counts", w),
            fit_seconds=_typed(data, "fit_seconds", _numbers, "an object of numbers", w),
            combiner=_typed(data, "combiner", _object, "an object", w),
            embeddings=_typed(data, "embeddings", _object, "an object", w),
            train_reviews=_typed(data, "train_reviews", is_count, "a count", w),
            validation_reviews=_typed(data, "validation_reviews", is_count, "a count", w),
            total_seconds=_typed(data, "total_seconds", _finite, "a number", w),
            workers=_typed(data, "workers", is_count, "a count", w),
            replicas=_typed(data, "replicas", is_count, "a count", w),
        )

    def kept(self, name: str, history: History) -> int | None:
        """The kept epoch of the network ``name``: as the card says, or by :func:`kept_epoch` for a card
        without it."""
        recorded = (self.kept_epoch or {}).get(name)
        return recorded if recorded is not None else kept_epoch(history)


_DATA_KEYS = ("source", "splits", "rows_read", "rows_used", "rows_skipped", "columns", "files_skipped", "summary",
              "sources")  # fmt: skip


@dataclass(frozen=True, eq=False)
class DataRecord(JsonRecord):
    """The card's ``data`` section: what the model was trained on. Readable as the JSON object it is."""

    source: str | None = None
    """The data as it was named (folders of the machine it was trained on included)."""
    fingerprint: dict[str, Any] = field(default_factory=dict)
    """What identifies the data: ``kind``, ``path``, ``files``, ``bytes``, ``sha256``, or ``parts`` (one per
    data set combined)."""
    splits: dict[str, int] | None = None
    rows_read: int | None = None
    rows_used: int | None = None
    rows_skipped: dict[str, int] | None = None
    """Rows read but not used, by reason."""
    columns: dict[str, Any] | None = None
    files_skipped: int | None = None
    summary: dict[str, Any] | None = None
    """Review lengths and vocabulary coverage per split (:func:`sentiment_cli.training.summary.data_summary`)."""
    sources: list[dict[str, Any]] | None = None
    """Where the data came from, as the user said (:func:`check_sources`)."""

    def to_dict(self) -> dict[str, Any]:
        values = {key: copy.deepcopy(getattr(self, key)) for key in _DATA_KEYS}
        head = {"source": values.pop("source")} if self.source is not None else {}
        rest = {key: value for key, value in values.items() if value is not None}
        return head | copy.deepcopy(self.fingerprint) | rest

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataRecord:
        w = "data"
        listed = lambda v: isinstance(v, list) and all(map(_object, v))  # noqa: E731
        sources = _typed(data, "sources", listed, "a list of objects", w)
        return cls(
            source=_typed(data, "source", lambda v: isinstance(v, str), "text", w),
            fingerprint={key: value for key, value in data.items() if key not in _DATA_KEYS},
            splits=_typed(data, "splits", _counts, "an object of counts", w),
            rows_read=_typed(data, "rows_read", is_count, "a count", w),
            rows_used=_typed(data, "rows_used", is_count, "a count", w),
            rows_skipped=_typed(data, "rows_skipped", _counts, "an object of counts", w),
            columns=_typed(data, "columns", _object, "an object", w),
            files_skipped=_typed(data, "files_skipped", is_count, "a count", w),
            summary=_typed(data, "summary", _object, "an object", w),
            sources=sources,
        )


@dataclass(frozen=True)
class Card:
    """The model card (``card.json``): the one typed record of what a model directory is.

    Written by :class:`Stage` and read by :func:`read_bundle` only; :meth:`from_dict` validates every
    field the program uses (types, ranges, required keys) and raises ``ValueError`` naming the field.
    The sections are typed too (:class:`TrainingRecord`, :class:`DataRecord`, a
    :class:`~sentiment_cli.metrics.Metrics` per split, histories) and :meth:`to_dict` writes them back as they
    were read, byte for byte; ``label_scheme`` and ``versions`` stay JSON objects.
    """

    labels: tuple[str, ...]
    model: ModelConfig
    litert: LiteRTInfo
    threshold: float | None = 0.5
    """Probability of the second class at or above which it is predicted (two-class models only)."""
    name: str = ""
    description: str = ""
    created: str = ""
    label_scheme: dict[str, Any] = field(default_factory=dict)
    training: TrainingRecord = field(default_factory=TrainingRecord)
    metrics: dict[str, Metrics] = field(default_factory=dict)
    """Per split (``train``, ``validation``, ``test``)."""
    branches: dict[str, dict[str, float]] = field(default_factory=dict)
    """A hybrid's branches alone: per branch (``bilstm``, ``ngram``), accuracy per split (``metrics.branches``
    on disk)."""
    history: dict[str, History] = field(default_factory=dict)
    """Per fitted network (``the BiLSTM``, ``the n-gram bag``), its curves."""
    data: DataRecord = field(default_factory=DataRecord)
    versions: dict[str, str] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)
    files: dict[str, FileEntry] = field(default_factory=dict)
    format_version: int = CARD_FORMAT

    @property
    def binary(self) -> bool:
        return len(self.labels) == 2

    def to_dict(self) -> dict[str, Any]:
        metrics: dict[str, Any] = {split: values.to_dict() for split, values in self.metrics.items()}
        if self.branches:
            metrics["branches"] = copy.deepcopy(self.branches)
        return {
            "labels": list(self.labels),
            "model": self.model.to_dict(),
            "litert": {**self.litert._asdict(), "inputs": list(self.litert.inputs)},
            "threshold": self.threshold,
            "name": self.name,
            "description": self.description,
            "created": self.created,
            "label_scheme": copy.deepcopy(self.label_scheme),
            "training": self.training.to_dict(),
            "metrics": metrics,
            "history": copy.deepcopy(self.history),
            "data": self.data.to_dict(),
            "versions": dict(self.versions),
            "command": list(self.command),
            "files": {name: entry._asdict() for name, entry in self.files.items()},
            "format_version": self.format_version,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Card:
        if not isinstance(data, dict):
            raise ValueError("the card is not a JSON object")
        version = data.get("format_version")
        if not is_count(version, 1):
            raise ValueError(f"format_version must be a positive integer, got {version!r}")
        if version > CARD_FORMAT:
            raise _NewerFormat(version)
        if version == 1 and isinstance(data.get("litert"), dict) and "output" not in data["litert"]:
            raise _RetiredFormat(data.get("versions"))
        labels = data.get("labels", ["negative", "positive"])
        if (
            not isinstance(labels, list)
            or len(labels) < 2
            or not all(isinstance(x, str) and x for x in labels)
            or len(set(labels)) != len(labels)
        ):
            raise ValueError("labels must be a list of at least 2 distinct non-empty strings")
        threshold = data.get("threshold", 0.5 if len(labels) == 2 else None)
        if len(labels) == 2:
            if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
                raise ValueError(f"threshold must be a number from 0 to 1, got {threshold!r}")
            threshold = float(threshold)
        model = data.get("model")
        if not isinstance(model, dict):
            raise ValueError("model must be an object")
        config = ModelConfig.from_dict(
            {**model, "tokenizer": model.get("tokenizer", "words"), "char_ngrams": model.get("char_ngrams", "off")}
        )
        litert = data.get("litert")
        if not isinstance(litert, dict):
            raise ValueError("litert must be an object")
        batch, inputs, output = litert.get("batch_size"), litert.get("inputs"), litert.get("output")
        if not is_count(batch, 1) or batch > MAX_LITERT_BATCH:
            raise ValueError(f"litert.batch_size must be an integer from 1 to {MAX_LITERT_BATCH}, got {batch!r}")
        expected_inputs = ["token_ids"] if config.arch == "seed" else ["token_ids", "ngram_ids"]
        if inputs != expected_inputs:
            raise ValueError(f"litert.inputs must be {expected_inputs} for a {config.arch} model, got {inputs!r}")
        expected_output = "logit" if len(labels) == 2 else "logits"
        if output != expected_output:
            raise ValueError(f"litert.output must be {expected_output!r} for {len(labels)} labels, got {output!r}")
        files = data.get("files")
        if not isinstance(files, dict):
            raise ValueError("files must be an object")
        entries = {}
        for name, meta in files.items():
            if not plain_file_name(name):
                raise ValueError(f"file name {name!r} is not allowed")
            sha, size = (meta.get("sha256"), meta.get("bytes")) if isinstance(meta, dict) else (None, None)
            if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
                raise ValueError(f"files.{name}.sha256 must be 64 hexadecimal digits")
            if not is_count(size) or size > MAX_FILE_BYTES:
                raise ValueError(f"files.{name}.bytes must be an integer from 0 to {MAX_FILE_BYTES}")
            entries[name] = FileEntry(sha, size)
        for name in REQUIRED_FILES + ((NGRAMS_FILE,) if config.arch == "hybrid" else ()):
            if name not in entries:
                raise ValueError(f"lists no {name}")
        sections = {}
        for key in ("label_scheme", "training", "metrics", "history", "data", "versions"):
            value = data.get(key, {})
            if not isinstance(value, dict):
                raise ValueError(f"{key} must be an object")
            sections[key] = value
        for phase, curves in sections["history"].items():
            if not isinstance(curves, dict) or not all(
                isinstance(values, list) and all(_finite(v) for v in values) for values in curves.values()
            ):
                raise ValueError(f"history.{phase} must map metric names to lists of finite numbers")
        branches = sections["metrics"].get("branches", {})
        if not isinstance(branches, dict) or not all(_numbers(v) for v in branches.values()):
            raise ValueError("metrics.branches must map branches to accuracies per split")
        metrics = {
            split: Metrics.from_dict(values, f"metrics.{split}")
            for split, values in sections["metrics"].items()
            if split != "branches"
        }
        training, described = TrainingRecord.from_dict(sections["training"]), DataRecord.from_dict(sections["data"])
        command = data.get("command", [])
        if not isinstance(command, list) or not all(isinstance(x, str) for x in command):
            raise ValueError("command must be a list of strings")
        texts = {key: data.get(key, "") for key in ("name", "description", "created")}
        for key, value in texts.items():
            if not isinstance(value, str):
                raise ValueError(f"{key} must be a string")
        return cls(
            labels=tuple(labels),
            model=config,
            litert=LiteRTInfo(batch, tuple(inputs), output),
            threshold=threshold if len(labels) == 2 else None,
            command=command,
            files=entries,
            format_version=version,
            label_scheme=sections["label_scheme"],
            training=training,
            metrics=metrics,
            branches=branches,
            history=sections["history"],
            data=described,
            versions=sections["versions"],
            **texts,
        )


def plain_file_name(name: Any) -> bool:
    """Whether a name the card lists is one plain file of the model directory: a non-empty string of at most 255
    UTF-8 bytes, no separator (``/``, ``\\``), NUL or other control character, not hidden (``.``, ``..``,
    ``.x``) and not the card itself. Anything else (``a\\x00b``, ``""``, ``../x``) would reach the file system as
    a path, or not at all."""
    if not isinstance(name, str) or not name or name.startswith(".") or name == CARD_FILE:
        return False
    if any(c in "/\\" or unicodedata.category(c) in ("Cc", "Cs") for c in name):
        return False
    return len(name.encode("utf-8")) <= 255


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _RetiredFormat(ValueError):
    """A format-1 card of sentiment-cli 0.1.0 from before ``litert.output``: its flatbuffer ends in a sigmoid
    (or a seed model's, and the card has no ``arch``), so reading its output as a logit would be wrong."""

    def __init__(self, versions: Any) -> None:
        made = versions.get("sentiment_cli") if isinstance(versions, dict) else None
        plain = isinstance(made, str) and re.fullmatch(r"[0-9A-Za-z.+-]{1,40}", made)
        self.made = f"sentiment-cli {made}" if plain else "an early sentiment-cli"
        super().__init__(f"model card format 1 from {self.made}")


class _NewerFormat(ValueError):
    def __init__(self, version: int) -> None:
        super().__init__(f"format version {version}")
        self.version = version


@dataclass
class Bundle:
    """A verified model directory, opened for one purpose (its files read once, hashed as read)."""

    path: Path
    card: Card
    encoder: Encoder
    contents: dict[str, bytes]
    """The verified bytes of the files this purpose reads (``model.tflite``, ``model.keras``...)."""

    @property
    def config(self) -> ModelConfig:
        return self.card.model

    @property
    def threshold(self) -> float:
        return 0.5 if self.card.threshold is None else self.card.threshold

    @property
    def labels(self) -> tuple[str, ...]:
        return self.card.labels

    @property
    def litert_path(self) -> Path:
        return self.path / LITERT_FILE

    @property
    def litert_model(self) -> bytes:
        return self.contents[LITERT_FILE]

    @property
    def litert_batch_size(self) -> int:
        return self.card.litert.batch_size

    @property
    def keras_path(self) -> Path:
        return self.path / KERAS_FILE


DEFAULT_MODEL = "default"
"""The shipped model used when none is named: positive / negative."""


def _shipped_roots() -> tuple[Path, Path]:
    here = Path(__file__).resolve().parent
    return here / "_models", here.parent / "models"  # an installed copy first, then a source checkout's


def shipped_models() -> dict[str, Path]:
    """The models shipped with the package, by name (``default`` first), each a model directory."""
    found: dict[str, Path] = {}
    for root in _shipped_roots():
        if root.is_dir():
            for folder in sorted(root.iterdir()):
                if folder.name not in found and (folder / CARD_FILE).is_file():
                    found[folder.name] = folder
    return dict(sorted(found.items(), key=lambda item: (item[0] != DEFAULT_MODEL, item[0])))


def default_model_dir(name: str = DEFAULT_MODEL) -> Path:
    """A model shipped with the package, by name (installed copy first, then a source checkout's)."""
    shipped = shipped_models()
    if name in shipped:
        return shipped[name]
    if name == DEFAULT_MODEL:
        raise ModelError("the shipped default model is missing from this installation", "name a model directory")
    raise ModelError(f"no shipped model is called {name!r}", f"shipped: {', '.join(shipped) or 'none'}")


def model_location(path: str | os.PathLike[str] | None) -> Path:
    """Where a ``--model`` value points: None is the default model; a plain name that is not a path here
    (no separator, nothing of that name in the working folder) is a shipped model's name."""
    if path is None:
        return default_model_dir()
    text = os.fspath(path)
    if text and os.sep not in text and "/" not in text and not os.path.lexists(text) and text in shipped_models():
        return default_model_dir(text)
    return Path(path)


def _read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file inside the model directory: no symbolic link, FIFO or device is followed."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ModelError(f"{path}: not a regular file")
        if info.st_size > limit:
            raise ModelError(f"{path}: {info.st_size:,} bytes, more than a model file may have ({limit:,})")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            # read(n) allocates n bytes first: ask for the size fstat gave (and one more, to see growth)
            data = handle.read(info.st_size + 1)
        if len(data) > limit:
            raise ModelError(f"{path}: more than {limit:,} bytes, more than a model file may have")
        return data
    finally:
        os.close(fd)


def read_bundle(path: str | os.PathLike[str] | None = None, *, purpose: str = "predict") -> Bundle:
    """Open a model directory (the shipped one when ``path`` is None) for ``purpose``.

    ``predict`` and ``evaluate`` read the LiteRT model, ``inspect`` the Keras model; each reads the
    tokenizer (and n-gram table). Every file read is checked against the card's sha256 from the
    same bytes that are then used; the files not read must exist.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {', '.join(PURPOSES)}")
    path = model_location(path)
    if not path.exists():
        shipped = ", ".join(shipped_models())
        raise ModelError(f"{path}: no such model directory", f"or name a shipped model: {shipped}" if shipped else None)
    if path.is_file():
        hint = "predict needs a model directory written by 'sentiment train'"
        if path.suffix == ".keras":
            hint += "; 'sentiment inspect' reads .keras files"
        raise ModelError(f"{path}: is a file, not a model directory", hint)
    card_path = path / CARD_FILE
    try:
        # utf-8-sig: a card saved by an editor that starts UTF-8 with a byte order mark (Windows Notepad) reads
        card_data = json.loads(_read_regular(card_path, MAX_CARD_BYTES).decode("utf-8-sig"))
    except FileNotFoundError:
        raise ModelError(f"{path}: not a model directory (no {CARD_FILE})") from None
    except OSError as exc:
        raise ModelError(f"{card_path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ModelError(f"{card_path}: unreadable model card (not UTF-8 text: byte {exc.start:,})") from None
    except (ValueError, RecursionError) as exc:
        raise ModelError(f"{card_path}: unreadable model card (not JSON: {exc})") from None
    try:
        card = Card.from_dict(card_data)
    except _RetiredFormat as exc:
        raise ModelError(
            f"{card_path}: model card format 1 ({exc.made}, from before model.tflite gave log-odds) is no longer "
            "supported: its output would be read wrong",
            "retrain the model with this version",
        ) from None
    except _NewerFormat as exc:
        raise ModelError(
            f"{card_path}: model format version {exc.version} is newer than this sentiment-cli understands "
            f"({CARD_FORMAT})",
            "upgrade sentiment-cli",
        ) from None
    except ValueError as exc:
        raise ModelError(f"{card_path}: not a valid model card ({exc})") from None
    contents: dict[str, bytes] = {}
    wanted = PURPOSES[purpose]
    for name in card.files:
        file = path / name
        try:
            if name not in wanted:
                if not stat.S_ISREG(file.lstat().st_mode):
                    raise ModelError(f"{file}: not a regular file")
                continue
            data = _read_regular(file, MAX_FILE_BYTES)
        except FileNotFoundError:
            raise ModelError(f"{path}: {name} is missing") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ModelError(f"{file}: a symbolic link; a model directory holds regular files only") from None
            raise ModelError(f"{file}: cannot read ({exc.strerror})") from None
        contents[name] = data
    # every file is verified before the bundle is returned, and a damaged file is named as damaged (not as
    # an unreadable tokenizer): the hashing runs beside the parsing
    verifying = _Verifying([(path / name, data, card.files[name].sha256) for name, data in contents.items()])
    try:
        settings = json.loads(contents[TOKENIZER_FILE].decode("utf-8"))
        if not isinstance(settings, dict):
            raise ValueError("not a JSON object")
        keys = None
        if NGRAMS_FILE in contents:
            keys = _load_keys(contents[NGRAMS_FILE])
        encoder = Encoder.from_dict(settings, keys, card.model.max_length)
        if encoder.head_length != window_head(card.model.max_length, card.model.head_length):
            raise ValueError("the card and the tokenizer disagree on the part of a review the BiLSTM reads")
        sizes = [("vocab_size", len(encoder.vocabulary), "words in " + TOKENIZER_FILE)]
        if encoder.ngrams is not None:
            sizes.append(("ngram_vocab_size", len(encoder.ngrams), "keys in " + NGRAMS_FILE))
        for key, found, what in sizes:  # files of another model, their hashes put in this card
            if (listed := getattr(card.model, key)) != found:
                raise ValueError(f"the card's model.{key} is {listed:,}, but there are {found:,} {what}")
    except (
        ValueError,
        UnicodeDecodeError,
        LookupError,
        TypeError,
        AttributeError,
        ArithmeticError,
        RecursionError,
    ) as exc:
        # a schema error, or a value of a wrong type or range found by the code that uses it (max_length inf)
        verifying.check()
        raise ModelError(f"{path}: unusable tokenizer ({type(exc).__name__}: {exc})") from None
    verifying.check()
    return Bundle(path, card, encoder, contents)


def _load_keys(data: bytes) -> np.ndarray:
    """The n-gram table from ``.npy`` bytes: a 1-D uint32 array whose header matches the bytes that follow."""
    handle = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(handle)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(handle, max_header_size=10_000)
    except Exception as exc:  # the header is Python literal syntax: ValueError, SyntaxError, TokenError...
        raise ValueError(f"{NGRAMS_FILE} is not a NumPy array file ({type(exc).__name__}: {exc})") from None
    if dtype != np.dtype("<u4") or len(shape) != 1 or fortran:
        raise ValueError(f"{NGRAMS_FILE} must hold a 1-D little-endian uint32 array, found {dtype} {shape}")
    if shape[0] * 4 != len(data) - handle.tell():
        raise ValueError(f"{NGRAMS_FILE} header claims {shape[0]:,} keys but the file holds a different amount")
    return np.frombuffer(data, dtype="<u4", offset=handle.tell()).astype(np.uint32)


def check_output(out: Path, force: bool, keep: tuple[Path, ...] = ()) -> None:
    """Refuse early an output directory that would be refused at the end, or that would replace or hold
    any of ``keep`` (the training data: replacing ``out`` deletes what is in it)."""
    target = out.resolve()
    here = Path.cwd().resolve()
    if out.name in ("", ".", "..") or target == here or target in here.parents:
        raise OutputError(
            f"{out}: is the current directory or holds it; the output is the model directory to create",
            "name a new folder, for example ./model",
        )
    problem = clash(out, [("the training data", path) for path in keep], folder=True)  # the check of every output
    if problem is not None:
        raise OutputError(problem, "write it elsewhere")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise OutputExists(f"{out}: exists and is not empty")
    parent = out.absolute().parent  # where the stage is made: beside the name given
    if not parent.is_dir():
        raise OutputError(f"{parent}: no such directory")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{parent}: not writable")


class Stage:
    """A temporary directory beside the target (named with this process's id and locked while it lives);
    :meth:`commit` moves it into place. Stages left by killed runs are deleted first (:func:`files.remove_stale`)."""

    def __init__(self, out: Path, force: bool) -> None:
        self.out = out
        self.force = force
        self.cleaned = remove_stale(out)
        """Stages of earlier runs that were killed (SIGKILL, a power cut) before they could delete them."""
        try:
            import tempfile  # only when writing: predict does not pay for it

            self.path = Path(tempfile.mkdtemp(dir=out.absolute().parent, prefix=f".{out.name}.tmp-{os.getpid()}-"))
        except OSError as exc:
            raise OutputError(f"cannot write beside {out} ({exc.strerror})") from None
        self._lock = hold(self.path)
        """Held until the stage is discarded: no other run (in any PID namespace) takes it for a killed run's."""

    def write_encoder(self, encoder: Encoder) -> None:
        (self.path / TOKENIZER_FILE).write_text(json.dumps(encoder.to_dict(), ensure_ascii=False), encoding="utf-8")
        if encoder.ngrams is not None:
            np.save(self.path / NGRAMS_FILE, encoder.ngrams.keys, allow_pickle=False)

    def commit(self, card: Card) -> Card:
        """Hash the staged files into ``card``, write it, and move the directory into place."""
        files = {
            file.name: FileEntry(sha256_bytes(file.read_bytes()), file.stat().st_size)
            for file in sorted(self.path.iterdir())
            if file.name != CARD_FILE
        }
        card = replace(card, files=files, format_version=CARD_FORMAT)
        Card.from_dict(json.loads(json.dumps(card.to_dict())))  # what is written must read back
        text = json.dumps(card.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        (self.path / CARD_FILE).write_text(text, encoding="utf-8")
        os.chmod(self.path, 0o755)
        old = None
        if self.out.is_dir() and any(self.out.iterdir()):
            if not self.force:
                raise OutputExists(f"{self.out}: exists and is not empty")
            import tempfile

            old = Path(tempfile.mkdtemp(dir=self.path.parent, prefix=f".{self.out.name}.old-"))
            os.replace(self.out, old / "model")
        try:
            os.replace(self.path, self.out)
        except OSError as exc:
            if old is not None:
                os.replace(old / "model", self.out)
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise OutputError(f"{self.out}: another run wrote it first") from None
            raise OutputError(f"cannot move the model into {self.out} ({exc.strerror})") from None
        finally:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        return card

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        release(self._lock)
        self._lock = None


@contextlib.contextmanager
def staged(out: Path, force: bool = False, keep: tuple[Path, ...] = ()) -> Iterator[Stage]:
    """Write a model directory in a stage that is moved into ``out`` only by ``commit``.

    On any exception (Ctrl-C included) the stage is deleted and ``out`` is untouched.
    """
    check_output(out, force, keep)
    stage = Stage(out, force)
    try:
        yield stage
    except OSError as exc:
        stage.discard()
        if exc.errno == errno.ENOSPC:
            raise OutputError(f"no space left while writing {out}") from None
        raise OutputError(f"cannot write {out} ({exc.strerror or exc})") from None
    except BaseException:
        stage.discard()
        raise
    else:
        stage.discard()  # already moved when committed; removes a stage that was not


SOURCE_KEYS = ("name", "file", "sha256", "licence", "rows", "url", "note")
"""What a data source entry may say (``name`` is required): the card's record of where training data came from."""
MAX_SOURCES = 100
MAX_SOURCE_TEXT = 1000


def check_sources(sources: Any) -> list[dict[str, Any]]:
    """The data sources as the card keeps them: a list of objects with a ``name`` and only the keys of
    :data:`SOURCE_KEYS`, text values (``rows`` a count). Raises :class:`DataError` naming the first fault."""
    if not isinstance(sources, list) or not 0 < len(sources) <= MAX_SOURCES:
        raise DataError(f"data sources must be a list of 1 to {MAX_SOURCES} objects")
    checked = []
    for n, entry in enumerate(sources, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
            raise DataError(f"data source {n}: an object with a 'name' is needed")
        if unknown := sorted(set(entry) - set(SOURCE_KEYS)):
            raise DataError(f"data source {n}: unknown key {unknown[0]!r}", f"keys: {', '.join(SOURCE_KEYS)}")
        for key, value in entry.items():
            ok = (isinstance(value, int) and not isinstance(value, bool) and value >= 0) if key == "rows" else (
                isinstance(value, str) and len(value) <= MAX_SOURCE_TEXT
            )  # fmt: skip
            if not ok:
                what = "a count" if key == "rows" else f"text of at most {MAX_SOURCE_TEXT} characters"
                raise DataError(f"data source {n}: {key!r} must be {what}")
        checked.append({key: entry[key] for key in SOURCE_KEYS if key in entry})
    return checked
