"""Fitting the BiLSTM on several devices or machines with ``tf.distribute`` (``TrainConfig.strategy``).

- ``mirrored``: one process, a replica on every local GPU (without GPUs, on every logical CPU device: one,
  unless TensorFlow was told to split the CPU). Keras ``fit`` trains a copy of the network made inside
  ``strategy.scope()``, and splits each global batch among the replicas.
- ``multi-worker``: one process per machine, ``MultiWorkerMirroredStrategy`` from ``TF_CONFIG`` (without it,
  one worker on this machine's devices). Keras 3 ``fit`` fails under that strategy (a PerReplica
  ``ValueError``, keras-team/keras#20585), so a custom loop (``strategy.run``, ``tf.GradientTape``, Keras
  Adam, ``strategy.reduce``) drives the same callbacks ``fit`` would: progress, early stopping with the best
  weights kept, a checkpoint after every epoch. Each epoch every worker shuffles all rows with ``seed +
  epoch`` and worker ``w`` of ``n`` takes ``order[w::n]``; it pads and batches only that share
  (``distribute_datasets_from_function``). Every worker yields as many batches as the largest share needs
  (an empty batch where its own share runs out), so no worker waits on a collective the others never start.
- ``--batch-size`` is the global batch in every strategy: each of R replicas takes ``ceil(batch / R)``
  reviews a step, the loss is averaged over the whole global batch, and an epoch has as many steps as on
  one device.
- Only the chief (worker 0) writes checkpoints and the model directory. The other workers read the chief's
  checkpoint to resume (so ``--out`` must be on storage every worker sees for ``--resume``) and write their
  model into a temporary folder they delete.

What stays single-process: the vocabulary, the n-gram table, the naive Bayes prior, the n-gram bag, the
combiner and the scoring. Every worker computes them the same way from the same data and seed; at scale they
are counts an engine such as Spark would compute once.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._tensorflow import keras, tf
from ..checkpoint import Checkpoint, State
from ..errors import SentimentError
from .batches import Batches
from .losses import loss_and_metric

TF_CONFIG_EXAMPLE = (
    'TF_CONFIG=\'{"cluster": {"worker": ["host0:12345", "host1:12345"]}, "task": {"type": "worker", "index": 0}}\''
)


@dataclass
class Distribution:
    """A started ``tf.distribute`` strategy and this process's place in it."""

    name: str
    strategy: tf.distribute.Strategy

    @property
    def chief(self) -> bool:
        """Whether this process writes the checkpoints and the model directory."""
        return bool(self.strategy.extended.should_checkpoint)

    @property
    def replicas(self) -> int:
        return int(self.strategy.num_replicas_in_sync)

    @property
    def local_replicas(self) -> int:
        return len(self.strategy.extended.worker_devices)

    @property
    def workers(self) -> int:
        return self.replicas // self.local_replicas

    def scope(self) -> contextlib.AbstractContextManager:
        return self.strategy.scope()

    def replicate(self, net: keras.Model) -> keras.Model:
        """A copy of ``net`` holding its weights, its variables made inside the strategy's scope."""
        with self.strategy.scope():
            twin = keras.models.clone_model(net)
            twin.set_weights(net.get_weights())
        return twin

    def shard(self, batches: Batches | None) -> Batches | None:
        """This worker's batches: ``mirrored`` keeps the global batches (Keras splits them), ``multi-worker``
        takes its share of the rows in batches of the per-replica size."""
        if batches is None or self.name != "multi-worker":
            return batches
        return Shard(batches, self.workers, self.local_replicas, self.replicas)

    def fit(
        self,
        trainer: keras.Model,
        net: keras.Model,
        batches: Batches,
        validation: Batches | None,
        epochs: int,
        initial: int,
        callbacks: list[keras.callbacks.Callback],
        num_classes: int,
        logits: bool,
    ) -> None:
        """Fit ``trainer`` (from :meth:`replicate`, compiled in :meth:`scope`); ``net`` gets its weights after
        every epoch (before the other callbacks, so the checkpoint holds them) and at the end."""
        callbacks = [_CopyBack(net), *callbacks]
        if self.name == "mirrored":
            callbacks.insert(0, _EpochShuffle(batches))
            with self.strategy.scope():
                trainer.fit(
                    batches.dataset(), validation_data=validation.dataset() if validation else None,
                    epochs=epochs, initial_epoch=initial, callbacks=callbacks, shuffle=False, verbose=0,
                )  # fmt: skip
        else:
            _CustomLoop(self.strategy, trainer, num_classes, logits).fit(
                batches, validation, epochs, initial, callbacks
            )
        net.set_weights(trainer.get_weights())


def start_strategy(name: str) -> Distribution | None:
    """The strategy ``name`` names (None for ``default``). Call it before TensorFlow runs anything: a
    multi-worker strategy must be created at program start-up."""
    if name == "default":
        return None
    try:
        if name == "mirrored":
            gpus = tf.config.list_logical_devices("GPU")
            devices = [device.name for device in gpus or tf.config.list_logical_devices("CPU")]
            # On CPU devices the collective all-reduce TensorFlow picks failed on an Embedding + BiLSTM's
            # gradients ("Shape mismatch in the collective instance", Keras 3.15, TF 2.21); summing on one
            # device matched one replica's weights. GPUs keep TensorFlow's choice (NCCL).
            reduce = None if gpus else tf.distribute.ReductionToOneDevice()
            strategy = tf.distribute.MirroredStrategy(devices, cross_device_ops=reduce)
        else:
            _check_tf_config(os.environ.get("TF_CONFIG"))
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
    except (RuntimeError, ValueError) as exc:
        hint = "start it in a process of its own, before anything else uses TensorFlow"
        raise SentimentError(f"cannot start the {name} strategy: {exc}", hint) from None
    return Distribution(name, strategy)


def _check_tf_config(text: str | None) -> None:
    if text is None:
        return
    try:
        config = json.loads(text)
        workers = [*config["cluster"].get("chief", []), *config["cluster"].get("worker", [])]
        task = config["task"]
        ok = bool(workers) and task["type"] in ("chief", "worker") and isinstance(task["index"], int)
    except (ValueError, KeyError, TypeError, AttributeError):
        ok = False
    if not ok:
        raise SentimentError(f"TF_CONFIG is not a cluster and task: {text[:200]!r}", f"for example {TF_CONFIG_EXAMPLE}")


def worker_checkpoint(checkpoint: Checkpoint, distribution: Distribution | None) -> Checkpoint:
    """``checkpoint`` on the chief (and without a strategy); on other workers a read-only view of it."""
    if distribution is None or distribution.chief:
        return checkpoint
    return _ReadOnlyCheckpoint(checkpoint.path, checkpoint.run)


@contextlib.contextmanager
def worker_output(out: Path, distribution: Distribution | None) -> Iterator[Path]:
    """Where to write the model directory: ``out`` on the chief; elsewhere a temporary folder, deleted after."""
    if distribution is None or distribution.chief:
        yield out
        return
    folder = Path(tempfile.mkdtemp(prefix="sentiment-worker-"))
    try:
        yield folder / out.name
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def describe(distribution: Distribution | None) -> dict[str, Any]:
    """For the card: how the BiLSTM was fitted."""
    if distribution is None:
        return {"workers": 1, "replicas": 1}
    return {"workers": distribution.workers, "replicas": distribution.replicas}


class _ReadOnlyCheckpoint(Checkpoint):
    """A non-chief worker's view of the chief's checkpoint: read once when the run starts (the chief soon writes
    newer epochs), never written, never deleted."""

    def __init__(self, path: Path, run: str) -> None:
        super().__init__(path, run)
        self._arrays: dict[str, list[np.ndarray] | None] = {}

    def start(self, resume: bool) -> State | None:
        if not resume:
            return None
        state = super().start(resume)
        self._arrays = {name: super(_ReadOnlyCheckpoint, self).arrays(name) for name in ("model", "optimizer", "best")}
        return state

    def save(self, state: State, weights: list[np.ndarray], extra: dict[str, list[np.ndarray]]) -> None:
        pass

    def arrays(self, name: str) -> list[np.ndarray] | None:
        return self._arrays.get(name)

    def discard(self) -> None:
        pass


class Shard(Batches):
    """One worker's part of each epoch: all rows shuffled with ``seed + epoch``, ``order[worker::workers]``
    cut into length-bucketed batches of the per-replica size, then empty batches up to the count every worker
    yields. One worker alone gets exactly the batches of one device (:class:`Batches`)."""

    def __init__(self, batches: Batches, workers: int, local_replicas: int, replicas: int) -> None:
        super().__init__(
            batches.encoder, batches.items, batches.labels, math.ceil(batches.batch_size / replicas),
            seed=batches.seed, only=batches.only, multiclass=batches.multiclass, class_weights=batches.class_weights,
        )  # fmt: skip
        self.worker, self.workers, self.local_replicas = 0, workers, local_replicas
        largest_share = math.ceil(len(self.items) / workers)
        self.steps = math.ceil(math.ceil(largest_share / self.batch_size) / local_replicas)

    def __len__(self) -> int:
        """Steps per epoch (each takes one batch per local replica)."""
        return self.steps

    @property
    def batches_per_epoch(self) -> int:
        return self.steps * self.local_replicas

    def order(self) -> list[np.ndarray]:
        n, size = len(self.items), self.batch_size
        if self.seed is None:
            rows = np.arange(n)[self.worker :: self.workers]
            rows = rows[np.argsort(self._lengths[rows], kind="stable")]
            batches = [rows[i : i + size] for i in range(0, len(rows), size)]
        else:
            rng = np.random.default_rng(self.seed + self.epoch)
            self.epoch += 1
            batches = self.buckets(rng.permutation(n)[self.worker :: self.workers], rng)
        return batches + [np.empty(0, dtype=np.int64)] * (self.batches_per_epoch - len(batches))


class _EpochShuffle(keras.callbacks.Callback):
    """Each epoch's batches shuffled with ``seed + epoch``, as on one device: under a strategy Keras reads the
    dataset once more before the first epoch, which would otherwise shift every epoch's shuffle by one."""

    def __init__(self, batches: Batches) -> None:
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.batches.epoch = epoch


class _CopyBack(keras.callbacks.Callback):
    """After each epoch, the replicated copy's weights into the network the recipe holds."""

    def __init__(self, net: keras.Model) -> None:
        super().__init__()
        self.net = net

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.net.set_weights(self.model.get_weights())


class _CustomLoop:
    """What ``fit`` does, for ``MultiWorkerMirroredStrategy``: a step per global batch on every replica, the
    gradients summed across replicas by the optimizer, the loss of the global batch averaged over its reviews."""

    def __init__(self, strategy: tf.distribute.Strategy, net: keras.Model, num_classes: int, logits: bool) -> None:
        self.strategy, self.net, self.multiclass = strategy, net, num_classes > 2
        loss, metric = loss_and_metric(num_classes, logits)
        self.loss = type(loss).from_config({**loss.get_config(), "reduction": "sum"})
        self.threshold = metric.get_config().get("threshold")
        self.train_step = tf.function(self._train_step)
        self.eval_step = tf.function(self._eval_step)

    def fit(
        self,
        batches: Shard,
        validation: Shard | None,
        epochs: int,
        initial: int,
        callbacks: list[keras.callbacks.Callback],
    ) -> None:
        with self.strategy.scope():
            if not self.net.optimizer.built:
                self.net.optimizer.build(self.net.trainable_variables)
        train = self._distribute(batches)
        checks = self._distribute(validation) if validation is not None else None
        hooks = keras.callbacks.CallbackList(callbacks, model=self.net)
        self.net.stop_training = False
        hooks.on_train_begin()
        for epoch in range(initial, epochs):
            hooks.on_epoch_begin(epoch)
            logs = self._run(self.train_step, train, len(batches), hooks.on_train_batch_end)
            if checks is not None:
                logs |= {
                    f"val_{key}": value for key, value in self._run(self.eval_step, checks, len(validation)).items()
                }
            hooks.on_epoch_end(epoch, logs)
            if self.net.stop_training:
                break
        hooks.on_train_end()

    def _distribute(self, batches: Shard) -> Any:
        def dataset(context: tf.distribute.InputContext) -> tf.data.Dataset:
            batches.worker = context.input_pipeline_id
            return batches.dataset()

        return self.strategy.distribute_datasets_from_function(dataset)

    def _run(self, step: Any, dataset: Any, steps: int, on_batch: Callable | None = None) -> dict[str, float]:
        """``steps`` steps over a fresh pass of ``dataset``; the running loss and accuracy over all workers."""
        iterator = iter(dataset)
        sums = np.zeros(3)
        logs: dict[str, float] = {}
        for index in range(steps):
            sums += np.asarray(self.strategy.reduce("SUM", step(iterator), axis=None), dtype=np.float64)
            seen = max(sums[2], 1.0)
            logs = {"loss": float(sums[0] / seen), "accuracy": float(sums[1] / seen)}
            if on_batch is not None:
                on_batch(index, logs)
        return logs

    def _train_step(self, iterator: Any) -> Any:
        def replica(x: Any, y: tf.Tensor, weights: tf.Tensor | None = None) -> tf.Tensor:
            count = tf.cast(tf.shape(y)[0], tf.float32)
            everyone = tf.distribute.get_replica_context().all_reduce("SUM", count)
            variables = self.net.trainable_variables
            with tf.GradientTape() as tape:
                out = self.net(x, training=True)
                total = self.loss(y, out, sample_weight=weights)
                mean = total / tf.maximum(everyone, 1.0)
            gradients = tape.gradient(mean, variables)
            self.net.optimizer.apply_gradients(zip(gradients, variables, strict=True))
            return tf.stack([total, self._correct(y, out), count])

        return self.strategy.run(replica, args=next(iterator))

    def _eval_step(self, iterator: Any) -> Any:
        def replica(x: Any, y: tf.Tensor, weights: tf.Tensor | None = None) -> tf.Tensor:
            out = self.net(x, training=False)
            total = self.loss(y, out, sample_weight=weights)
            return tf.stack([total, self._correct(y, out), tf.cast(tf.shape(y)[0], tf.float32)])

        return self.strategy.run(replica, args=next(iterator))

    def _correct(self, y: tf.Tensor, out: tf.Tensor) -> tf.Tensor:
        if self.multiclass:
            hit = tf.equal(tf.argmax(out, axis=-1, output_type=tf.int32), tf.cast(y, tf.int32))
        else:
            hit = tf.equal(tf.cast(out[:, 0] > self.threshold, tf.float32), y)
        return tf.reduce_sum(tf.cast(hit, tf.float32))
