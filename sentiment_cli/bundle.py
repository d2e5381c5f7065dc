"""The model directory: written atomically, read and verified without TensorFlow.

Layout (no pickles anywhere)::

    card.json        configuration, labels, metrics, data fingerprint, versions, file hashes
    tokenizer.json   the vocabulary and tokenizer settings as plain JSON
    ngrams.npy       (hybrid models) the n-gram table: sorted uint32 keys, loaded with allow_pickle=False
    model.keras      the Keras model (loaded with safe_mode=True)
    model.tflite     the LiteRT flatbuffer used by ``predict``
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .config import LABELS, ModelConfig
from .errors import ModelError, OutputError
from .text import Encoder

CARD_FORMAT = 1
CARD_FILE = "card.json"
TOKENIZER_FILE = "tokenizer.json"
KERAS_FILE = "model.keras"
LITERT_FILE = "model.tflite"
NGRAMS_FILE = "ngrams.npy"
REQUIRED_FILES = (TOKENIZER_FILE, KERAS_FILE, LITERT_FILE)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Bundle:
    """A verified model directory."""

    path: Path
    card: dict[str, Any]
    encoder: Encoder

    @property
    def config(self) -> ModelConfig:
        return ModelConfig.from_dict(self.card["model"])

    @property
    def threshold(self) -> float:
        return float(self.card.get("threshold", 0.5))

    @property
    def labels(self) -> tuple[str, str]:
        names = self.card.get("labels", LABELS)
        return (str(names[0]), str(names[1]))

    @property
    def litert_path(self) -> Path:
        return self.path / LITERT_FILE

    @property
    def litert_batch_size(self) -> int:
        return int(self.card["litert"]["batch_size"])

    @property
    def keras_path(self) -> Path:
        return self.path / KERAS_FILE


def default_model_dir() -> Path:
    """The model shipped with the package (installed copy first, then a source checkout's)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_models" / "default", here.parent / "models" / "default"):
        if (candidate / CARD_FILE).is_file():
            return candidate
    raise ModelError("the shipped default model is missing from this installation", "pass --model DIR")


def read_bundle(path: str | os.PathLike[str] | None = None, *, skip: tuple[str, ...] = ()) -> Bundle:
    """Open a model directory (the shipped one when ``path`` is None) and check its files' hashes.

    Files named in ``skip`` (ones the caller will not use, such as ``model.keras`` for prediction)
    must exist but are not read.
    """
    path = default_model_dir() if path is None else Path(path)
    if not path.exists():
        raise ModelError(f"{path}: no such model directory")
    if path.is_file():
        hint = "predict needs a model directory written by 'sentiment train'"
        if path.suffix == ".keras":
            hint += "; 'sentiment inspect' reads .keras files"
        raise ModelError(f"{path}: is a file, not a model directory", hint)
    card_path = path / CARD_FILE
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: not a model directory (no {CARD_FILE})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{card_path}: unreadable model card ({exc})") from None
    if not isinstance(card, dict) or not isinstance(card.get("files"), dict):
        raise ModelError(f"{card_path}: not a sentiment-cli model card")
    version = card.get("format_version")
    if not isinstance(version, int) or version > CARD_FORMAT:
        raise ModelError(
            f"{card_path}: model format version {version!r} is newer than this sentiment-cli understands "
            f"({CARD_FORMAT})",
            "upgrade sentiment-cli",
        )
    for name in REQUIRED_FILES:
        if name not in card["files"]:
            raise ModelError(f"{card_path}: lists no {name}")
    contents: dict[str, bytes] = {}
    for name, meta in card["files"].items():
        file = path / name
        if Path(name).name != name:
            raise ModelError(f"{card_path}: file name {name!r} is not allowed")
        try:
            if name in skip:
                file.stat()
                continue
            data = file.read_bytes()
        except FileNotFoundError:
            raise ModelError(f"{path}: {name} is missing") from None
        except OSError as exc:
            raise ModelError(f"{file}: cannot read ({exc.strerror})") from None
        if sha256_bytes(data) != meta.get("sha256"):
            raise ModelError(f"{file}: contents do not match the model card's sha256 (damaged or altered)")
        contents[name] = data
    try:
        settings = json.loads(contents[TOKENIZER_FILE].decode("utf-8"))
        keys = None
        if NGRAMS_FILE in contents:
            keys = np.load(io.BytesIO(contents[NGRAMS_FILE]), allow_pickle=False)
        encoder = Encoder.from_dict(settings, keys)
    except (ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise ModelError(f"{path}: unusable tokenizer ({exc})") from None
    return Bundle(path, card, encoder)


def check_output(out: Path, force: bool) -> None:
    """Refuse early an ``--out`` that would be refused at the end."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise OutputError(f"{out}: exists and is not empty", "pass --force to replace it")
    parent = out.resolve().parent
    if not parent.is_dir():
        raise OutputError(f"{parent}: no such directory")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{parent}: not writable")


class Stage:
    """A temporary directory beside the target; :meth:`commit` moves it into place."""

    def __init__(self, out: Path, force: bool) -> None:
        self.out = out
        self.force = force
        try:
            self.path = Path(tempfile.mkdtemp(dir=out.resolve().parent, prefix=f".{out.name}.tmp-"))
        except OSError as exc:
            raise OutputError(f"cannot write beside {out} ({exc.strerror})") from None

    def write_encoder(self, encoder: Encoder) -> None:
        (self.path / TOKENIZER_FILE).write_text(json.dumps(encoder.to_dict(), ensure_ascii=False), encoding="utf-8")
        if encoder.ngrams is not None:
            np.save(self.path / NGRAMS_FILE, encoder.ngrams.keys, allow_pickle=False)

    def commit(self, card: dict[str, Any]) -> Path:
        card = dict(card, format_version=CARD_FORMAT)
        card["files"] = {
            file.name: {"sha256": sha256_bytes(file.read_bytes()), "bytes": file.stat().st_size}
            for file in sorted(self.path.iterdir())
            if file.name != CARD_FILE
        }
        (self.path / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.chmod(self.path, 0o755)
        old = None
        if self.out.is_dir() and any(self.out.iterdir()):
            if not self.force:
                raise OutputError(f"{self.out}: exists and is not empty", "pass --force to replace it")
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
        return self.out

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


@contextlib.contextmanager
def staged(out: Path, force: bool = False) -> Iterator[Stage]:
    """Write a model directory in a stage that is moved into ``out`` only by ``commit``.

    On any exception (Ctrl-C included) the stage is deleted and ``out`` is untouched.
    """
    check_output(out, force)
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
