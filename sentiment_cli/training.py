"""Fitting the model, scoring it, and writing the model directory."""

from __future__ import annotations

import dataclasses
import math
import platform
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import joblib
import numpy as np

from . import __version__
from ._tensorflow import keras, tf
from .bundle import KERAS_FILE, LITERT_FILE, staged
from .checkpoint import Checkpoint, State, checkpoint_dir, fingerprint
from .config import LABELS, LITERT_BATCH_SIZE, ModelConfig, TrainConfig
from .data import Dataset, Split
from .errors import DataError
from .metrics import binary_metrics, sigmoid
from .model import branch, build_model
from .text import Encoded, Encoder, NgramTable, Vocabulary, tokenize


class TrainingListener(Protocol):
    """Receives progress; the CLI renders it."""

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


class Batches:
    """Encoded reviews in batches padded to their own longest review (padding is masked).

    With a ``seed`` the order is shuffled with ``seed + epoch``, so a run's batches are the same
    every time. :meth:`dataset` is what Keras consumes; it declares the time axes as free.
    """

    def __init__(
        self,
        encoder: Encoder,
        items: list[Encoded],
        labels: np.ndarray | None,
        batch_size: int,
        *,
        seed: int | None = None,
        only: str | None = None,
    ) -> None:
        self.encoder, self.items, self.labels = encoder, items, labels
        self.batch_size, self.seed, self.only = batch_size, seed, only
        self.epoch = 0

    def __len__(self) -> int:
        return math.ceil(len(self.items) / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        if self.seed is None:
            order = np.arange(len(self.items))
        else:
            order = np.random.default_rng(self.seed + self.epoch).permutation(len(self.items))
            self.epoch += 1
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            arrays = self.encoder.batch([self.items[i] for i in rows])
            x = arrays[self.only] if self.only else arrays
            yield (x,) if self.labels is None else (x, self.labels[rows].astype(np.float32))

    def dataset(self) -> tf.data.Dataset:
        names = (self.only,) if self.only else self.encoder.input_names
        spec = {name: tf.TensorSpec(shape=(None, None), dtype=tf.int32) for name in names}
        x_spec = spec[self.only] if self.only else spec
        signature = (x_spec,) if self.labels is None else (x_spec, tf.TensorSpec(shape=(None,), dtype=tf.float32))
        dataset = tf.data.Dataset.from_generator(self.__iter__, output_signature=signature)
        return dataset.apply(tf.data.experimental.assert_cardinality(len(self))).prefetch(2)


def split_validation(split: Split, fraction: float, seed: int) -> tuple[Split, Split | None]:
    """Carve a random validation set out of the training split."""
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


def _in_parallel(function: Any, items: list, n_jobs: int = 2, chunk: int = 2500) -> list:
    """``function`` over chunks of ``items`` in worker processes when there are enough to be worth it."""
    if len(items) < 2 * chunk or n_jobs == 1:
        return function(items)
    parts = joblib.Parallel(n_jobs=n_jobs)(
        joblib.delayed(function)(items[i : i + chunk]) for i in range(0, len(items), chunk)
    )
    return [item for part in parts for item in part]


def _tokenize_all(texts: list[str]) -> list[list[str]]:
    return [tokenize(text) for text in texts]


def tokenize_texts(texts: list[str]) -> list[list[str]]:
    return _in_parallel(_tokenize_all, texts)


def encode_texts(encoder: Encoder, texts: list[str]) -> list[Encoded]:
    return _in_parallel(encoder.encode_many, texts)


def train(
    dataset: Dataset,
    out: Path,
    model_config: ModelConfig | None = None,
    train_config: TrainConfig | None = None,
    *,
    force: bool = False,
    resume: bool = False,
    listener: TrainingListener | None = None,
) -> TrainResult:
    """Fit the model on ``dataset``'s train split, score it, and write the model directory ``out``.

    After every epoch a checkpoint is kept beside ``out``; if the run is interrupted, the same call
    with ``resume=True`` continues from the last finished epoch and ends with the same model.

    ``seed`` models are fitted as the notebook does. ``hybrid`` models are fitted branch by branch
    (the n-gram bag, then the BiLSTM, each with early stopping on the validation split), then the
    final Dense(1, sigmoid) that combines their logits is fitted on the validation split.
    """
    model_config = model_config or ModelConfig()
    cfg = train_config or TrainConfig()
    listener = listener or SilentListener()
    started = time.monotonic()

    checkpoint = Checkpoint(
        checkpoint_dir(out), fingerprint(model_config.to_dict(), cfg.to_dict(), dataset.fingerprint)
    )
    with staged(out, force) as stage:
        state = checkpoint.start(resume) or State(checkpoint.run)
        train_split, val_split = split_validation(dataset.split("train"), cfg.validation_split, cfg.seed)
        _check_trainable(train_split)
        splits = {"train": train_split, "validation": val_split, "test": dataset.splits.get("test")}
        splits = {name: split for name, split in splits.items() if split is not None}
        encoder, encoded = _prepare(splits, model_config, listener)
        model_config = dataclasses.replace(
            model_config,
            vocab_size=len(encoder.vocabulary),
            ngram_vocab_size=len(encoder.ngrams) if encoder.ngrams else model_config.ngram_vocab_size,
        )

        keras.utils.set_random_seed(cfg.seed)
        model = build_model(model_config)
        if model_config.arch == "hybrid":
            prior = _naive_bayes_weights(encoded["train"], train_split.labels, encoder.ngrams.input_dim)
            model.get_layer("ngram_weights").set_weights([prior])
        if resume and (saved := checkpoint.arrays("model")) is not None:
            model.set_weights(saved)
            listener.on_stage(f"Resuming from {checkpoint.path}")
        session = _Session(encoder, encoded, splits, cfg, listener, model, checkpoint, state)
        if model_config.arch == "seed":
            session.fit("the BiLSTM", model, cfg.epochs, cfg.learning_rate, cfg.patience, logits=False)
            listener.on_stage("Scoring")
            probabilities = {name: session.predict(model, name) for name in splits}
            combiner: dict[str, float] = {}
            branches: dict[str, dict[str, float]] = {}
        else:
            bag, bilstm = branch(model, "ngram"), branch(model, "bilstm")
            session.fit("the n-gram bag", bag, cfg.ngram_epochs, cfg.ngram_learning_rate, 1, logits=True)
            session.fit("the BiLSTM", bilstm, cfg.epochs, cfg.learning_rate, cfg.patience, logits=True)
            listener.on_stage("Fitting the combiner and scoring")
            logits = {name: np.stack([session.predict(bilstm, name), session.predict(bag, name)], 1) for name in splits}
            weights, bias = (
                logistic_regression(logits["validation"], val_split.labels)
                if val_split is not None
                else (np.array([0.5, 0.5]), 0.0)  # no validation split: average the logits
            )
            combiner = {"bilstm_weight": float(weights[0]), "ngram_weight": float(weights[1]), "bias": bias}
            model.get_layer("positive_probability").set_weights(
                [weights.reshape(2, 1).astype(np.float32), np.array([bias], dtype=np.float32)]
            )
            probabilities = {name: sigmoid(z @ weights + bias) for name, z in logits.items()}
            branches = {
                label: {name: float(np.mean((z[:, column] > 0) == splits[name].labels)) for name, z in logits.items()}
                for column, label in enumerate(("bilstm", "ngram"))
            }
        metrics: dict[str, Any] = {name: binary_metrics(splits[name].labels, p) for name, p in probabilities.items()}
        if branches:
            metrics["branches"] = branches

        listener.on_stage("Writing the model directory")
        clean = build_model(model_config)  # same weights, no optimizer state: a smaller file
        clean.set_weights(model.get_weights())
        clean.save(stage.path / KERAS_FILE)
        export_litert(clean, stage.path / LITERT_FILE, LITERT_BATCH_SIZE, encoder.input_names)
        stage.write_encoder(encoder)
        card = {
            "name": out.name,
            "description": f"{model_config.arch} BiLSTM sentiment classifier (sentiment-cli)",
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "labels": list(LABELS),
            "threshold": 0.5,
            "model": model_config.to_dict(),
            "training": {
                **cfg.to_dict(),
                **session.summary(),
                "combiner": combiner,
                "train_reviews": len(train_split),
                "validation_reviews": 0 if val_split is None else len(val_split),
                "total_seconds": round(time.monotonic() - started, 1),
            },
            "metrics": metrics,
            "history": session.history,
            "data": {"source": dataset.source, **dataset.fingerprint, "splits": dataset.sizes()},
            "litert": {
                "file": LITERT_FILE,
                "batch_size": LITERT_BATCH_SIZE,
                "inputs": list(encoder.input_names),
                "output": "logit",
            },
            "versions": _versions(),
        }
        stage.commit(card)
    checkpoint.discard()
    return TrainResult(out, card)


def _prepare(
    splits: dict[str, Split], config: ModelConfig, listener: TrainingListener
) -> tuple[Encoder, dict[str, list[Encoded]]]:
    """Build the vocabulary (and n-gram table) from the train split and encode every split."""
    listener.on_stage(f"Building the vocabulary from {len(splits['train']):,} reviews")
    token_lists = tokenize_texts(splits["train"].texts)
    vocabulary = Vocabulary.from_tokens(token_lists, config.vocab_size)
    ngrams = None
    if config.arch == "hybrid":
        ngrams = NgramTable.build(token_lists, config.ngram_order, config.ngram_vocab_size)
    encoder = Encoder(vocabulary, config.max_length, ngrams)
    listener.on_stage("Encoding reviews")
    encoded = {"train": _in_parallel(encoder.encode_token_lists, token_lists)}
    del token_lists
    encoded |= {name: encode_texts(encoder, split.texts) for name, split in splits.items() if name != "train"}
    return encoder, encoded


class _Session:
    """Fits models on the encoded splits, keeps their histories and timings, and checkpoints each epoch."""

    def __init__(self, encoder, encoded, splits, cfg, listener, model, checkpoint: Checkpoint, state: State) -> None:
        self.encoder, self.encoded, self.splits, self.cfg, self.listener = encoder, encoded, splits, cfg, listener
        self.model, self.checkpoint, self.state = model, checkpoint, state
        self.history: dict[str, dict[str, list[float]]] = {}
        self.seconds: dict[str, float] = {}

    def fit(self, name: str, net: keras.Model, epochs: int, rate: float, patience: int, logits: bool) -> None:
        state = self.state
        if name in state.finished:  # done before the interruption; its weights came with the checkpoint
            self.history[name], self.seconds[name] = state.histories[name], state.seconds.get(name, 0.0)
            return
        self.listener.on_stage(f"Training {name}")
        begun = time.monotonic()
        resuming = state.phase == name and state.epochs_done > 0
        only = _single_input(net)
        batches = Batches(
            self.encoder, self.encoded["train"], self.splits["train"].labels, self.cfg.batch_size,
            seed=self.cfg.seed, only=only,
        )  # fmt: skip
        validation = None
        if "validation" in self.splits:
            labels = self.splits["validation"].labels
            validation = Batches(self.encoder, self.encoded["validation"], labels, self.cfg.batch_size, only=only)
        net.compile(
            optimizer=keras.optimizers.Adam(rate),
            loss=keras.losses.BinaryCrossentropy(from_logits=logits),
            metrics=[keras.metrics.BinaryAccuracy(threshold=0.0 if logits else 0.5, name="accuracy")],
        )
        history = {key: list(values) for key, values in state.histories.get(name, {}).items()} if resuming else {}
        if resuming:
            net.optimizer.build(net.trainable_variables)
            for variable, value in zip(net.optimizer.variables, self.checkpoint.arrays("optimizer"), strict=True):
                variable.assign(value)
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
            callbacks = [_KerasProgress(self.listener, epochs, len(batches)), *([stopper] if stopper else [])]
            callbacks.append(_SaveEachEpoch(self, name, net, stopper, history))
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
        """``net``'s output for every review of ``split``, in order."""
        batches = Batches(self.encoder, self.encoded[split], None, self.cfg.batch_size, only=_single_input(net))
        return net.predict(batches.dataset(), verbose=0).ravel()

    def summary(self) -> dict[str, Any]:
        return {
            "epochs_run": {name: len(h["loss"]) for name, h in self.history.items()},
            "best_epoch": {name: _best_epoch(h) for name, h in self.history.items()},
            "fit_seconds": self.seconds,
        }


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

    def __init__(self, session: _Session, name: str, net: keras.Model, stopper, history) -> None:
        super().__init__()
        self.session, self.name, self.net, self.stopper, self.history = session, name, net, stopper, history

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for key, value in _floats(logs).items():
            self.history.setdefault(key, []).append(value)
        state = self.session.state
        state.phase, state.epochs_done, state.histories[self.name] = self.name, epoch + 1, self.history
        state.stopper = self.stopper.counters() if self.stopper else {}
        optimizer = [np.asarray(v) for v in self.net.optimizer.variables]
        best = self.stopper.best_weights if self.stopper else None
        self.session.checkpoint.save(state, self.session.model.get_weights(), {"optimizer": optimizer, "best": best})


def _naive_bayes_weights(items: list[Encoded], labels: np.ndarray, buckets: int) -> np.ndarray:
    """Start each n-gram weight at its naive Bayes log-count ratio (Wang and Manning, 2012)."""
    positive = np.ones(buckets)
    negative = np.ones(buckets)
    for item, label in zip(items, labels, strict=True):
        (positive if label else negative)[item.ngram_ids] += 1
    ratio = np.log(positive / positive.sum()) - np.log(negative / negative.sum())
    ratio[0] = 0.0
    return ratio.reshape(-1, 1).astype(np.float32)


def logistic_regression(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 50) -> tuple[np.ndarray, float]:
    """Newton's method for a small L2-regularized logistic regression (weights, bias)."""
    design = np.hstack([x, np.ones((len(x), 1))])
    theta = np.zeros(design.shape[1])
    penalty = np.diag([l2] * x.shape[1] + [0.0]) * len(x)
    for _ in range(steps):
        p = sigmoid(design @ theta)
        gradient = design.T @ (p - y) + penalty @ theta
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty + 1e-9 * np.eye(len(theta))
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return theta[:-1], float(theta[-1])


def _single_input(net: keras.Model) -> str | None:
    """The name of a model's only input, or None for a model that takes the dict of all inputs."""
    return None if len(net.inputs) > 1 else net.inputs[0].name


def _best_epoch(history: dict[str, list[float]]) -> int:
    key = "val_loss" if "val_loss" in history else "loss"
    return int(np.argmin(history[key])) + 1


def export_litert(model: keras.Model, path: Path, batch_size: int, inputs: tuple[str, ...]) -> None:
    """Write a LiteRT flatbuffer with a fixed batch and free sequence lengths (builtin ops only).

    It outputs the final layer's logit, before the sigmoid: the runtime applies the sigmoid in
    float64, so probabilities near 0 or 1 keep their log-odds (explanations need them).
    """
    final = model.get_layer("positive_probability")
    linear = keras.layers.Dense(1, name="positive_logit")
    logit = linear(final.input)
    linear.set_weights(final.get_weights())
    logits = keras.Model(model.inputs if len(inputs) > 1 else model.inputs[0], logit)
    specs = {name: keras.InputSpec(shape=(batch_size, None), dtype="int32", name=name) for name in inputs}
    signature = [specs] if len(inputs) > 1 else [specs[inputs[0]]]
    logits.export(str(path), format="litert", input_signature=signature, verbose=False)


def _versions() -> dict[str, str]:
    import tensorflow as tf

    return {
        "sentiment_cli": __version__,
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
