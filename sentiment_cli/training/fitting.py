"""Fitting one network with early stopping, progress and a checkpoint after every epoch."""

from __future__ import annotations

import contextlib
import math
import time
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .._tensorflow import keras
from ..bundle import kept_epoch
from ..checkpoint import Checkpoint, State
from ..data import Split
from ..errors import TrainingDiverged
from ..text import Encoded, Encoder
from .batches import Batches
from .losses import loss_and_metric

if TYPE_CHECKING:
    from .distributed import Distribution


class TrainingListener(Protocol):
    """Receives progress; the CLI renders it."""

    def on_stage(self, message: str) -> None: ...
    def on_warning(self, message: str) -> None: ...
    def on_epoch_begin(self, epoch: int, epochs: int, steps: int) -> None: ...
    def on_batch_end(self, step: int, logs: dict[str, float]) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None: ...


class SilentListener:
    def on_stage(self, message: str) -> None:
        pass

    def on_warning(self, message: str) -> None:
        pass

    def on_epoch_begin(self, epoch: int, epochs: int, steps: int) -> None:
        pass

    def on_batch_end(self, step: int, logs: dict[str, float]) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        pass


class _KerasProgress(keras.callbacks.Callback):
    """Progress to the listener, and the end of a run whose loss is no longer finite (:func:`check_finite`): it
    comes first among the callbacks, so a diverged epoch is never checkpointed."""

    def __init__(self, listener: TrainingListener, epochs: int, steps: int, name: str = "the network") -> None:
        super().__init__()
        self.listener, self.epochs, self.steps, self.name = listener, epochs, steps, name
        self.epoch = 1

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch + 1
        self.listener.on_epoch_begin(epoch + 1, self.epochs, self.steps)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        values = floats(logs)
        check_finite(values, self.name, self.epoch)
        self.listener.on_batch_end(batch + 1, values)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        values = floats(logs)
        check_finite(values, self.name, epoch + 1)
        self.listener.on_epoch_end(epoch + 1, values)


def check_finite(logs: dict[str, float], name: str, epoch: int) -> None:
    """Raise :class:`TrainingDiverged` when a loss in ``logs`` is NaN or infinite: the weights have diverged
    (a learning rate too high), and every later step, the combiner and the export would only compute NaN."""
    for key in ("loss", "val_loss"):
        if key in logs and not math.isfinite(logs[key]):
            raise TrainingDiverged(
                f"training {name} diverged at epoch {epoch} ({key.replace('_', ' ')} {logs[key]}): its weights are no "
                "longer finite numbers; the learning rate is too high"
            )


def floats(logs: dict | None) -> dict[str, float]:
    return {key: float(value) for key, value in (logs or {}).items()}


class Session:
    """Fits networks on the encoded splits, keeps their histories and timings, and checkpoints each epoch."""

    def __init__(
        self,
        encoder: Encoder,
        encoded: dict[str, list[Encoded]],
        splits: dict[str, Split],
        num_classes: int,
        batch_size: int,
        seed: int,
        listener: TrainingListener,
        model: keras.Model,
        checkpoint: Checkpoint,
        state: State,
        class_weights: np.ndarray | None = None,
    ) -> None:
        self.class_weights = class_weights
        self.encoder, self.encoded, self.splits, self.listener = encoder, encoded, splits, listener
        self.num_classes, self.batch_size, self.seed = num_classes, batch_size, seed
        self.model, self.checkpoint, self.state = model, checkpoint, state
        self.history: dict[str, dict[str, list[float]]] = {}
        self.seconds: dict[str, float] = {}

    def _batches(self, split: str, net: keras.Model, labelled: bool, seed: int | None = None) -> Batches:
        labels = self.splits[split].labels if labelled else None
        return Batches(
            self.encoder, self.encoded[split], labels, self.batch_size,
            seed=seed, only=single_input(net), multiclass=self.num_classes > 2,
            class_weights=self.class_weights if labelled else None,
        )  # fmt: skip

    def fit(
        self,
        name: str,
        net: keras.Model,
        epochs: int,
        rate: float,
        patience: int,
        logits: bool,
        distribution: Distribution | None = None,
    ) -> None:
        """Fit ``net``; with a ``distribution`` (:mod:`.distributed`), a copy of it made in the strategy's scope
        is fitted and its weights copied back after every epoch."""
        state = self.state
        if name in state.finished:  # done before the interruption; its weights came with the checkpoint
            self.history[name], self.seconds[name] = state.histories[name], state.seconds.get(name, 0.0)
            return
        self.listener.on_stage(f"Training {name}")
        begun = time.monotonic()
        resuming = state.phase == name and state.epochs_done > 0
        batches = self._batches("train", net, True, self.seed)
        validation = self._batches("validation", net, True) if "validation" in self.splits else None
        trainer = net
        if distribution is not None:
            batches, validation = distribution.shard(batches), distribution.shard(validation)
            trainer = distribution.replicate(net)
        loss, metric = loss_and_metric(self.num_classes, logits)
        with distribution.scope() if distribution is not None else contextlib.nullcontext():
            trainer.compile(optimizer=keras.optimizers.Adam(rate), loss=loss, metrics=[metric])
            if resuming:
                trainer.optimizer.build(trainer.trainable_variables)
                saved = self.checkpoint.arrays("optimizer")
                for variable, value in zip(trainer.optimizer.variables, saved, strict=True):
                    variable.assign(value)
        history = {key: list(values) for key, values in state.histories.get(name, {}).items()} if resuming else {}
        stopper = None
        if validation is not None:
            stopper = _EarlyStopping(
                monitor="val_loss", patience=patience, restore_best_weights=True,
                resume=(state.stopper, self.checkpoint.arrays("best")) if resuming else None,
            )  # fmt: skip
        initial = state.epochs_done if resuming else 0
        if resuming and stopper is not None and state.stopper["wait"] >= patience:
            net.set_weights(self.checkpoint.arrays("best"))  # it had stopped; only the save was missing
        elif initial < epochs:
            batches.epoch = initial  # the same shuffles as an uninterrupted run
            progress = _KerasProgress(self.listener, epochs, len(batches), name)
            callbacks = [progress, *([stopper] if stopper else [])]
            callbacks.append(_SaveEachEpoch(self, name, trainer, stopper, history))
            if distribution is not None:
                distribution.fit(
                    trainer, net, batches, validation, epochs, initial, callbacks, self.num_classes, logits
                )
            else:
                net.fit(
                    batches.dataset(), validation_data=validation.dataset() if validation else None, epochs=epochs,
                    initial_epoch=initial, callbacks=callbacks, shuffle=False, verbose=0,
                )  # fmt: skip
        self.history[name] = history
        self.seconds[name] = round(state.seconds.get(name, 0.0) + time.monotonic() - begun, 1)
        state.finished.append(name)
        state.phase, state.epochs_done, state.histories[name] = None, 0, history
        state.seconds[name] = self.seconds[name]
        self.checkpoint.save(state, self.model.get_weights(), {"optimizer": None, "best": None})

    def predict(self, net: keras.Model, split: str) -> np.ndarray:
        """``net``'s output for every review of ``split``, in order: (n,) for one output, else (n, outputs)."""
        batches = self._batches(split, net, False)
        rows = np.concatenate(batches.order())
        out = net.predict(batches.dataset(), verbose=0)
        result = np.empty_like(out)
        result[rows] = out  # batches come sorted by length; put rows back in input order
        return result[:, 0] if result.shape[1] == 1 else result

    def epochs_run(self) -> dict[str, int]:
        return {name: len(h.get("loss", [])) for name, h in self.history.items()}

    def kept_epochs(self) -> dict[str, int]:
        """Per fitted network, the epoch whose weights were kept (:func:`sentiment_cli.bundle.kept_epoch`)."""
        return {name: kept for name, h in self.history.items() if (kept := kept_epoch(h)) is not None}


class _EarlyStopping(keras.callbacks.EarlyStopping):
    """Keras's early stopping, able to start from a checkpoint's counters and best weights."""

    def __init__(self, *args: Any, resume: tuple[dict, list] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.resume = resume

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        if self.resume:
            counters, self.best_weights = self.resume
            self.wait, self.best, self.best_epoch = counters["wait"], counters["best"], counters["best_epoch"]

    def counters(self) -> dict[str, Any]:
        return {"wait": self.wait, "best": float(self.best), "best_epoch": self.best_epoch}


class _SaveEachEpoch(keras.callbacks.Callback):
    """After each epoch (and after early stopping has looked at it): history and a checkpoint."""

    def __init__(self, session: Session, name: str, net: keras.Model, stopper, history) -> None:
        super().__init__()
        self.session, self.name, self.net, self.stopper, self.history = session, name, net, stopper, history

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for key, value in floats(logs).items():
            self.history.setdefault(key, []).append(value)
        state = self.session.state
        state.phase, state.epochs_done, state.histories[self.name] = self.name, epoch + 1, self.history
        state.stopper = self.stopper.counters() if self.stopper else {}
        optimizer = [np.asarray(v) for v in self.net.optimizer.variables]
        best = self.stopper.best_weights if self.stopper else None
        self.session.checkpoint.save(state, self.session.model.get_weights(), {"optimizer": optimizer, "best": best})


def single_input(net: keras.Model) -> str | None:
    """The name of a model's only input, or None for a model that takes the dict of all inputs."""
    return None if len(net.inputs) > 1 else net.inputs[0].name
