"""Fitting the model, scoring it, and writing the model directory."""

from __future__ import annotations

import dataclasses
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from . import __version__
from ._tensorflow import keras
from .bundle import KERAS_FILE, LITERT_FILE, staged
from .config import LABELS, LITERT_BATCH_SIZE, ModelConfig, TrainConfig
from .data import Dataset, Split
from .errors import DataError
from .metrics import binary_metrics
from .model import build_model
from .text import Vocabulary, pad


class TrainingListener(Protocol):
    """Receives progress; the CLI renders it. Every method is optional to act on."""

    def on_stage(self, message: str) -> None: ...
    def on_epoch_begin(self, epoch: int, epochs: int, steps: int) -> None: ...
    def on_batch_end(self, step: int, logs: dict[str, float]) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None: ...


class SilentListener:
    def on_stage(self, message: str) -> None:
        pass

    def on_epoch_begin(self, epoch: int, epochs: int, steps: int) -> None:
        pass

    def on_batch_end(self, step: int, logs: dict[str, float]) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        pass


@dataclasses.dataclass
class TrainResult:
    out: Path
    card: dict[str, Any]

    @property
    def metrics(self) -> dict[str, dict[str, Any]]:
        return self.card["metrics"]


class _KerasProgress(keras.callbacks.Callback):
    def __init__(self, listener: TrainingListener, epochs: int, steps: int) -> None:
        super().__init__()
        self.listener, self.epochs, self.steps = listener, epochs, steps

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.listener.on_epoch_begin(epoch + 1, self.epochs, self.steps)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.listener.on_batch_end(batch + 1, _floats(logs))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.listener.on_epoch_end(epoch + 1, _floats(logs))


def _floats(logs: dict | None) -> dict[str, float]:
    return {key: float(value) for key, value in (logs or {}).items()}


def split_validation(split: Split, fraction: float, seed: int) -> tuple[Split, Split | None]:
    """Carve a stratified-at-random validation set out of the training split."""
    order = np.random.default_rng(seed).permutation(len(split))
    n_val = round(len(split) * fraction)
    if fraction > 0 and n_val == 0:
        n_val = 1
    if n_val and n_val >= len(split):
        raise DataError(f"too few training reviews ({len(split)}) to hold out a validation split")

    def take(index: np.ndarray) -> Split:
        return Split([split.texts[i] for i in index], split.labels[index])

    return take(order[n_val:]), (take(order[:n_val]) if n_val else None)


def _check_trainable(split: Split) -> None:
    classes = set(np.unique(split.labels).tolist())
    if classes != {0, 1}:
        only = LABELS[classes.pop()] if classes else "no"
        raise DataError(f"the training data has only {only} reviews", "both negative and positive examples are needed")


def train(
    dataset: Dataset,
    out: Path,
    model_config: ModelConfig | None = None,
    train_config: TrainConfig | None = None,
    *,
    force: bool = False,
    listener: TrainingListener | None = None,
) -> TrainResult:
    """Fit the model on ``dataset``'s train split, score it, and write the model directory ``out``."""
    model_config = model_config or ModelConfig()
    train_config = train_config or TrainConfig()
    listener = listener or SilentListener()
    started = time.monotonic()

    with staged(out, force) as stage:
        train_split, val_split = split_validation(
            dataset.split("train"), train_config.validation_split, train_config.seed
        )
        _check_trainable(train_split)

        listener.on_stage(f"Building a vocabulary from {len(train_split):,} reviews")
        vocabulary = Vocabulary.build(train_split.texts, model_config.vocab_size)
        model_config = dataclasses.replace(model_config, vocab_size=len(vocabulary))
        x_train = pad(list(vocabulary.encode_many(train_split.texts, model_config.max_length)), model_config.max_length)
        encode = lambda s: pad(list(vocabulary.encode_many(s.texts, model_config.max_length)))  # noqa: E731

        keras.utils.set_random_seed(train_config.seed)
        model = build_model(model_config)
        model.compile(
            optimizer=keras.optimizers.Adam(train_config.learning_rate),
            loss="binary_crossentropy",
            metrics=["accuracy"],
        )
        steps = -(-len(train_split) // train_config.batch_size)
        callbacks: list[keras.callbacks.Callback] = [_KerasProgress(listener, train_config.epochs, steps)]
        validation = None
        if val_split is not None:
            validation = (encode(val_split), val_split.labels)
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=train_config.patience, restore_best_weights=True
                )
            )
        fit_started = time.monotonic()
        history = model.fit(
            x_train,
            train_split.labels,
            batch_size=train_config.batch_size,
            epochs=train_config.epochs,
            validation_data=validation,
            callbacks=callbacks,
            shuffle=True,
            verbose=0,
        )
        fit_seconds = time.monotonic() - fit_started
        history_lists = {key: [float(v) for v in values] for key, values in history.history.items()}
        best_epoch = _best_epoch(history_lists)

        listener.on_stage("Scoring")
        metrics = {"train": _score(model, x_train, train_split.labels, train_config.batch_size)}
        if val_split is not None:
            metrics["validation"] = _score(model, validation[0], val_split.labels, train_config.batch_size)
        if "test" in dataset.splits:
            test = dataset.split("test")
            metrics["test"] = _score(model, encode(test), test.labels, train_config.batch_size)

        listener.on_stage("Writing the model directory")
        clean = build_model(model_config)  # same weights, no optimizer state: a smaller file
        clean.set_weights(model.get_weights())
        clean.save(stage.path / KERAS_FILE)
        export_litert(clean, stage.path / LITERT_FILE, LITERT_BATCH_SIZE)
        stage.write_tokenizer(vocabulary)
        card = {
            "name": out.name,
            "description": "Bidirectional LSTM sentiment classifier (sentiment-cli)",
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "labels": list(LABELS),
            "threshold": 0.5,
            "model": model_config.to_dict(),
            "training": {
                **train_config.to_dict(),
                "epochs_run": len(history_lists["loss"]),
                "best_epoch": best_epoch,
                "train_reviews": len(train_split),
                "validation_reviews": 0 if val_split is None else len(val_split),
                "fit_seconds": round(fit_seconds, 1),
                "total_seconds": round(time.monotonic() - started, 1),
            },
            "metrics": metrics,
            "history": history_lists,
            "data": {
                "source": dataset.source,
                **dataset.fingerprint,
                "splits": {k: len(v) for k, v in dataset.splits.items()},
            },
            "litert": {"file": LITERT_FILE, "batch_size": LITERT_BATCH_SIZE},
            "versions": _versions(),
        }
        stage.commit(card)
    return TrainResult(out, card)


def _best_epoch(history: dict[str, list[float]]) -> int:
    key = "val_loss" if "val_loss" in history else "loss"
    return int(np.argmin(history[key])) + 1


def _score(model: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int) -> dict[str, Any]:
    probabilities = model.predict(x, batch_size=batch_size, verbose=0).ravel()
    return binary_metrics(y, probabilities)


def export_litert(model: keras.Model, path: Path, batch_size: int) -> None:
    """Write a LiteRT flatbuffer with a fixed batch and free sequence length (builtin ops only)."""
    model.export(
        str(path),
        format="litert",
        input_signature=[keras.InputSpec(shape=(batch_size, None), dtype="int32")],
        verbose=False,
    )


def _versions() -> dict[str, str]:
    import tensorflow as tf

    return {
        "sentiment_cli": __version__,
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
