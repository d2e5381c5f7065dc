"""Training checkpoints: what an interrupted ``sentiment train`` needs to continue with ``--resume``.

Kept in a hidden folder beside ``--out`` (``.NAME.checkpoint``), written after every epoch,
removed when the model directory is written. Plain JSON and ``.npz`` arrays loaded with
``allow_pickle=False``: no pickles here either.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import zipfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CheckpointMismatch, NoCheckpoint, OutputError

STATE = "state.json"


def checkpoint_dir(out: Path) -> Path:
    return out.resolve().parent / f".{out.name}.checkpoint"


def fingerprint(*parts: Any) -> str:
    """What makes two runs the same run: configuration and data."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class State:
    fingerprint: str
    finished: list[str] = field(default_factory=list)
    """Training phases done (their best weights are in the saved model weights)."""
    phase: str | None = None
    epochs_done: int = 0
    histories: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    stopper: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class Checkpoint:
    def __init__(self, path: Path, run: str) -> None:
        self.path, self.run = path, run

    def start(self, resume: bool) -> State | None:
        """The saved state to resume from (``resume``), or a fresh checkpoint folder."""
        if resume:
            try:
                data = json.loads((self.path / STATE).read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise NoCheckpoint(f"{self.path}: no checkpoint to resume from") from None
            except (OSError, ValueError) as exc:
                raise NoCheckpoint(f"{self.path}: the checkpoint is damaged ({STATE}: {exc})") from None
            state = _state(data, self.path)
            if state.fingerprint != self.run:
                raise CheckpointMismatch(f"{self.path}: the checkpoint is of a run with other data or settings")
            return state
        shutil.rmtree(self.path, ignore_errors=True)
        return None

    def save(self, state: State, weights: list[np.ndarray], extra: dict[str, list[np.ndarray]]) -> None:
        """Write arrays first and the state last, each by rename, so a checkpoint is never half-written."""
        temporary = self.path
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            for name, arrays in {"model": weights, **extra}.items():
                target = self.path / f"{name}.npz"
                if arrays is None:
                    target.unlink(missing_ok=True)
                    continue
                temporary = self.path / f".{name}.tmp.npz"
                np.savez(temporary, *arrays)
                os.replace(temporary, target)
            temporary = self.path / f".{STATE}.tmp"
            temporary.write_text(json.dumps(state.__dict__), encoding="utf-8")
            os.replace(temporary, self.path / STATE)
        except OSError as exc:  # a full disk: the checkpoint is named, not --out; no partial file stays
            if temporary != self.path:
                temporary.unlink(missing_ok=True)
            reason = "no space left" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)
            raise OutputError(
                f"{self.path}: cannot write the checkpoint ({reason})", "free some space and resume the run"
            ) from None

    def arrays(self, name: str) -> list[np.ndarray] | None:
        target = self.path / f"{name}.npz"
        if not target.is_file():
            return None
        try:
            with np.load(target, allow_pickle=False) as data:
                return [data[f"arr_{i}"] for i in range(len(data.files))]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise NoCheckpoint(f"{target}: the checkpoint is damaged ({type(exc).__name__}: {exc})") from None

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _state(data: Any, path: Path) -> State:
    """The saved state, checked field by field (a damaged or edited ``state.json`` is named, not a TypeError)."""
    kinds = {"fingerprint": str, "finished": list, "phase": (str, type(None)), "epochs_done": int,
             "histories": dict, "stopper": dict, "seconds": dict}  # fmt: skip
    names = {f.name for f in fields(State)}
    if not isinstance(data, dict) or not set(data) <= names or "fingerprint" not in data:
        raise NoCheckpoint(f"{path}: the checkpoint is damaged ({STATE} is not a checkpoint's state)")
    for key, value in data.items():
        if not isinstance(value, kinds.get(key, object)) or isinstance(value, bool):
            raise NoCheckpoint(f"{path}: the checkpoint is damaged ({STATE}: {key} is {type(value).__name__})")
    return State(**data)
