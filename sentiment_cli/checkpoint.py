"""Training checkpoints: what an interrupted ``sentiment train`` needs to continue with ``--resume``.

Kept in a hidden folder beside ``--out`` (``.NAME.checkpoint``), written after every epoch,
removed when the model directory is written. Plain JSON and ``.npz`` arrays loaded with
``allow_pickle=False``: no pickles here either.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CheckpointMismatch, NoCheckpoint

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
            except (OSError, ValueError):
                raise NoCheckpoint(f"{self.path}: no checkpoint to resume from") from None
            state = State(**data)
            if state.fingerprint != self.run:
                raise CheckpointMismatch(f"{self.path}: the checkpoint is of a run with other data or settings")
            return state
        shutil.rmtree(self.path, ignore_errors=True)
        return None

    def save(self, state: State, weights: list[np.ndarray], extra: dict[str, list[np.ndarray]]) -> None:
        """Write arrays first and the state last, each by rename, so a checkpoint is never half-written."""
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

    def arrays(self, name: str) -> list[np.ndarray] | None:
        target = self.path / f"{name}.npz"
        if not target.is_file():
            return None
        with np.load(target, allow_pickle=False) as data:
            return [data[f"arr_{i}"] for i in range(len(data.files))]

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
