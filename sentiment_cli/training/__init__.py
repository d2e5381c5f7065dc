"""Training: the recipe that turns a labelled :class:`~sentiment_cli.data.Dataset` into a model directory.

Imports TensorFlow: only ``sentiment train`` (and ``inspect`` of Keras files) loads this package.

- :mod:`.batches`: the validation split, parallel tokenizing and encoding, length-bucketed batches
- :mod:`.fitting`: fitting one network with early stopping, progress and per-epoch checkpoints
- :mod:`.distributed`: the BiLSTM on several devices or machines (``tf.distribute`` strategies)
- :mod:`.hybrid`: the n-gram bag's naive Bayes start and the combiner of the two branches
- :mod:`.export`: the LiteRT flatbuffer prediction runs
- :mod:`.summary`: the card's summary of the data (review lengths, vocabulary coverage)

:func:`train` reads as the recipe: :func:`_splits`, :func:`_prepare` (vocabulary and encoding), :func:`_network`,
:func:`_fit_seed` or :func:`_fit_hybrid` (each returning a :class:`Fitted`), :func:`_scores`, :func:`_save`,
:func:`_card`. The HTML report is imported only to write it (:func:`_write_report`).
"""

from __future__ import annotations

import dataclasses
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .._tensorflow import keras
from ..bundle import (
    KERAS_FILE,
    LITERT_FILE,
    REPORT_FILE,
    Card,
    DataRecord,
    LiteRTInfo,
    Stage,
    TrainingRecord,
    check_sources,
    staged,
)
from ..checkpoint import Checkpoint, State, checkpoint_dir, fingerprint
from ..config import LITERT_BATCH_SIZE, SHORT_TEXT_TOKENS, ModelConfig, TrainConfig, head_length_of, logit_width
from ..data import Dataset, Split, data_paths
from ..embeddings import check_vectors_source, read_vectors, vectors_dim, vectors_matrix
from ..errors import DataError, SentimentError, TrainingDiverged
from ..metrics import Metrics, classification_metrics, predicted_classes, sigmoid, softmax
from ..model import branch, build_model, head_name, length_gate
from ..text import Encoded, Encoder, NgramTable, Vocabulary, mark_negation, scripts_of, tokenize, units_of
from .batches import balanced_weights, check_trainable, encode_texts, in_parallel, split_validation, tokenize_texts
from .distributed import describe, start_strategy, worker_checkpoint, worker_output
from .export import export_litert, versions
from .fitting import Session, SilentListener, TrainingListener
from .hybrid import average_combiner, fit_combiner, naive_bayes_weights
from .summary import data_summary

__all__ = ["SilentListener", "TrainResult", "TrainingListener", "checkpoint_dir", "train"]


@dataclasses.dataclass
class TrainResult:
    out: Path
    card: Card
    chief: bool = True
    """False on the other workers of a multi-worker run: they train, but only the chief writes ``out``."""

    @property
    def metrics(self) -> dict[str, Metrics]:
        """Per split; a hybrid's branches alone are ``card.branches``."""
        return self.card.metrics


def train(
    dataset: Dataset,
    out: str | Path,
    model_config: ModelConfig | None = None,
    train_config: TrainConfig | None = None,
    *,
    force: bool = False,
    resume: bool = False,
    listener: TrainingListener | None = None,
    command: list[str] | None = None,
    embeddings: str | os.PathLike[str] | None = None,
    freeze_embeddings: bool = False,
    sources: list[dict[str, Any]] | None = None,
) -> TrainResult:
    """Fit a model on ``dataset``'s train split, score it, and write the model directory ``out``.

    After every epoch a checkpoint is kept beside ``out``; if the run is interrupted, the same call
    with ``resume=True`` continues from the last finished epoch and ends with the same model.

    ``seed`` models are fitted as the notebook does. ``hybrid`` models are fitted branch by branch
    (the n-gram bag, then the BiLSTM, each with early stopping on the validation split), then the
    final layer that combines their logits is fitted on the validation split.

    ``embeddings``: pretrained word vectors that the BiLSTM's embedding starts from (a file or a package name:
    :func:`sentiment_cli.embeddings.read_vectors`); the embedding takes their size. ``freeze_embeddings``: keep
    those rows as they are (the other rows are frozen too: the layer is not trained). ``sources``: where the
    data came from (:func:`check_sources`: name, file, sha256, licence...), kept in the card as
    ``data.sources``.
    """
    sources = check_sources(sources) if sources is not None else None
    out = Path(out)
    model_config = model_config or ModelConfig()
    train_config = train_config or TrainConfig()
    listener = listener or SilentListener()
    classes = dataset.classes
    started = time.monotonic()
    strategy = start_strategy(train_config.strategy)  # first: a multi-worker strategy must start before TensorFlow runs

    if embeddings is not None:
        check_vectors_source(embeddings)  # before any long work
        model_config = _embedding_size(model_config, embeddings)
    run_settings = train_config.to_dict()
    if embeddings is not None:  # runs without vectors keep the fingerprints they had
        run_settings |= {"embeddings": os.fspath(embeddings), "freeze_embeddings": freeze_embeddings}
    checkpoint = Checkpoint(
        checkpoint_dir(out),
        fingerprint(model_config.to_dict(), run_settings, dataset.fingerprint, list(classes)),
    )
    checkpoint = worker_checkpoint(checkpoint, strategy)  # only the chief writes it
    try:
        return _train(
            dataset, out, model_config, train_config, strategy, checkpoint, force, resume, listener, command, started,
            _Inputs(embeddings, freeze_embeddings, sources),
        )  # fmt: skip
    except TrainingDiverged:
        checkpoint.discard()  # resuming would only diverge again: nothing of the run is left behind
        raise


@dataclasses.dataclass(frozen=True)
class _Inputs:
    """What the recipe starts from beside the data: pretrained vectors, and the record of the data's sources."""

    embeddings: str | os.PathLike[str] | None = None
    freeze_embeddings: bool = False
    sources: list[dict[str, Any]] | None = None


def _train(
    dataset: Dataset,
    out: Path,
    model_config: ModelConfig,
    train_config: TrainConfig,
    strategy: Any,
    checkpoint: Checkpoint,
    force: bool,
    resume: bool,
    listener: TrainingListener,
    command: list[str] | None,
    started: float,
    inputs: _Inputs,
) -> TrainResult:
    """The recipe: splits, vocabulary and encoding, the network, fitting, scoring, the model directory."""
    num_classes = len(dataset.classes)
    with (
        worker_output(out, strategy) as target,  # other workers write a temporary copy, then delete it
        staged(target, force, keep=tuple(data_paths(dataset))) as stage,
    ):
        for stale in stage.cleaned:
            listener.on_warning(f"deleted {stale.name}, left beside {target} by a run that was killed")
        state = checkpoint.start(resume) or State(checkpoint.run)
        splits = _splits(dataset, train_config)
        model_config = _resolve(model_config, splits["train"].texts)
        encoder, encoded = _prepare(splits, model_config, listener)
        model_config = _sized(model_config, encoder)
        model, pretrained = _network(
            model_config, num_classes, train_config, encoder, encoded, splits, inputs, listener
        )
        if resume and (saved := checkpoint.arrays("model")) is not None:
            model.set_weights(saved)
            listener.on_stage(f"Resuming from {checkpoint.path}")
        balanced = train_config.class_weight == "balanced"
        weights = balanced_weights(splits["train"].labels, num_classes) if balanced else None
        session = Session(
            encoder, encoded, splits, num_classes, train_config.batch_size, train_config.seed, listener, model,
            checkpoint, state, class_weights=weights,
        )  # fmt: skip
        fit = _fit_seed if model_config.arch == "seed" else _fit_hybrid
        fitted = fit(session, model, model_config, train_config, strategy)
        metrics = _scores(fitted, splits, dataset.classes)

        listener.on_stage("Writing the model directory")
        _save(stage, model, model_config, encoder, num_classes)
        card = _card(
            out, dataset, splits, encoded, encoder, model_config, train_config, session, fitted, metrics,
            time.monotonic() - started, strategy, pretrained, inputs.sources, command,
        )  # fmt: skip
        _write_report(stage.path, card, listener)
        card = stage.commit(card)
    checkpoint.discard()
    return TrainResult(out, card, chief=strategy is None or strategy.chief)


def _splits(dataset: Dataset, train_config: TrainConfig) -> dict[str, Split]:
    """``train``, ``validation`` (the data's own, else drawn from train; none when ``validation_split`` is 0)
    and ``test`` when the data has one; checked to be trainable."""
    if "validation" in dataset.splits:  # the data's own validation split
        train_split, val_split = dataset.split("train"), dataset.split("validation")
    else:
        train_split, val_split = split_validation(
            dataset.split("train"), train_config.validation_split, train_config.seed
        )
    check_trainable(train_split, dataset.classes, val_split)
    splits = {"train": train_split, "validation": val_split, "test": dataset.splits.get("test")}
    return {name: split for name, split in splits.items() if split is not None}


def _sized(config: ModelConfig, encoder: Encoder) -> ModelConfig:
    """The config with the vocabulary (and n-gram table) as large as they came out of the training data."""
    if encoder.ngrams is not None and not len(encoder.ngrams):
        raise DataError(
            "no word or n-gram occurs in two training reviews, so the n-gram bag would be empty",
            "train on more text, or with the seed architecture",
        )
    return dataclasses.replace(
        config,
        vocab_size=len(encoder.vocabulary),
        ngram_vocab_size=len(encoder.ngrams) if encoder.ngrams else config.ngram_vocab_size,
    )


def _network(
    config: ModelConfig,
    num_classes: int,
    train_config: TrainConfig,
    encoder: Encoder,
    encoded: dict[str, list[Encoded]],
    splits: dict[str, Split],
    inputs: _Inputs,
    listener: TrainingListener,
) -> tuple[keras.Model, dict[str, Any]]:
    """The network with its starting weights: seeded, the embedding from pretrained vectors when given (and the
    card's record of them), a hybrid's bag from naive Bayes."""
    keras.utils.set_random_seed(train_config.seed)
    model = build_model(config, num_classes)
    pretrained: dict[str, Any] = {}
    if inputs.embeddings is not None:
        listener.on_stage(f"Reading word vectors from {inputs.embeddings}")
        pretrained = _start_from_vectors(model, encoder, encoded["train"], inputs.embeddings, inputs.freeze_embeddings)
        listener.on_stage(
            f"{pretrained['rows_from_vectors']:,} of {pretrained['vocabulary_rows']:,} vocabulary rows start from "
            f"the vectors ({pretrained['token_coverage']:.1%} of training tokens)"
            + ("; the embedding is frozen" if inputs.freeze_embeddings else "")
        )
    if config.arch == "hybrid":
        prior = naive_bayes_weights(encoded["train"], splits["train"].labels, encoder.ngrams.input_dim, num_classes)
        model.get_layer("ngram_weights").set_weights([prior])
    return model, pretrained


@dataclasses.dataclass(frozen=True)
class Fitted:
    """What fitting left beside the weights: every split's class probabilities, and a hybrid's combiner (as
    the card describes it) and each branch's accuracy alone."""

    probabilities: dict[str, np.ndarray]
    combiner: dict[str, Any] = dataclasses.field(default_factory=dict)
    branches: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)


def _fit_seed(
    session: Session, model: keras.Model, config: ModelConfig, train_config: TrainConfig, strategy: Any
) -> Fitted:
    """The notebook's BiLSTM, fitted with early stopping on the validation split."""
    t = train_config
    session.fit("the BiLSTM", model, t.epochs, t.learning_rate, t.patience, logits=False, distribution=strategy)
    session.listener.on_stage("Scoring")
    return Fitted({name: session.predict(model, name) for name in session.splits})


def _fit_hybrid(
    session: Session, model: keras.Model, config: ModelConfig, train_config: TrainConfig, strategy: Any
) -> Fitted:
    """Branch by branch (the n-gram bag, then the BiLSTM, each with early stopping on the validation split),
    then the final layer that combines their logits, fitted on the validation split (without one, the
    branches' average)."""
    t, splits, num_classes = train_config, session.splits, session.num_classes
    bag, bilstm = branch(model, "ngram"), branch(model, "bilstm")
    session.fit("the n-gram bag", bag, t.ngram_epochs, t.ngram_learning_rate, 1, logits=True)
    session.fit("the BiLSTM", bilstm, t.epochs, t.learning_rate, t.patience, logits=True, distribution=strategy)
    session.listener.on_stage("Fitting the combiner and scoring")
    logits = {name: np.column_stack([session.predict(bilstm, name), session.predict(bag, name)]) for name in splits}
    for name, z in logits.items():
        _check_outputs(z, f"{name} split's branch logits")
    features = {name: _gated(z, session.encoded[name], config.length_gate) for name, z in logits.items()}
    if "validation" in splits:
        balanced = t.class_weight == "balanced"
        kernel, bias = fit_combiner(features["validation"], splits["validation"].labels, num_classes, balanced)
    else:  # no validation split: average the two branches' logits
        kernel, bias = average_combiner(num_classes, features["train"].shape[1])
    model.get_layer(head_name(num_classes)).set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
    branches = {
        label: {name: _branch_accuracy(z, splits[name].labels, num_classes, column) for name, z in logits.items()}
        for column, label in enumerate(("bilstm", "ngram"))
    }
    return Fitted(
        probabilities={name: _combine(x, kernel, bias, num_classes) for name, x in features.items()},
        combiner=_describe_combiner(kernel, bias, num_classes),
        branches=branches,
    )


def _scores(fitted: Fitted, splits: dict[str, Split], classes: tuple[str, ...]) -> dict[str, Metrics]:
    """Every split's metrics, once its probabilities are known to be numbers."""
    for name, p in fitted.probabilities.items():
        _check_outputs(p, f"{name} split's probabilities")
    return {name: classification_metrics(splits[name].labels, p, classes) for name, p in fitted.probabilities.items()}


def _save(stage: Stage, model: keras.Model, config: ModelConfig, encoder: Encoder, num_classes: int) -> None:
    """The Keras file, the LiteRT flatbuffer and the tokenizer (and n-gram table) into the stage."""
    clean = build_model(config, num_classes)  # same weights, no optimizer state: a smaller file
    clean.set_weights(model.get_weights())
    clean.save(stage.path / KERAS_FILE)
    export_litert(clean, stage.path / LITERT_FILE, LITERT_BATCH_SIZE, encoder.input_names, head_name(num_classes))
    stage.write_encoder(encoder)


def _card(
    out: Path,
    dataset: Dataset,
    splits: dict[str, Split],
    encoded: dict[str, list[Encoded]],
    encoder: Encoder,
    config: ModelConfig,
    train_config: TrainConfig,
    session: Session,
    fitted: Fitted,
    metrics: dict[str, Metrics],
    seconds: float,
    strategy: Any,
    pretrained: dict[str, Any],
    sources: list[dict[str, Any]] | None,
    command: list[str] | None,
) -> Card:
    """The model card: what was trained, on what, how, and how well (its files are hashed in on commit)."""
    num_classes = len(dataset.classes)
    return Card(
        name=out.name,
        description=f"{config.arch} BiLSTM sentiment classifier, {num_classes} classes (sentiment-cli)",
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        labels=dataset.classes,
        label_scheme=dict(dataset.label_scheme),
        threshold=0.5 if num_classes == 2 else None,
        model=config,
        training=TrainingRecord(
            settings=train_config.to_dict(),
            epochs_run=session.epochs_run(),
            kept_epoch=session.kept_epochs(),
            fit_seconds=session.seconds,
            combiner=fitted.combiner,
            embeddings=pretrained or None,
            train_reviews=len(splits["train"]),
            validation_reviews=len(splits["validation"]) if "validation" in splits else 0,
            total_seconds=round(seconds, 1),
            **describe(strategy),
        ),
        metrics=metrics,
        branches=fitted.branches,
        history=session.history,
        data=DataRecord(
            source=dataset.source,
            fingerprint=dict(dataset.fingerprint),
            splits=dataset.sizes(),
            **dataset.report(),
            summary=data_summary(splits, encoded, config.tokenizer),
            sources=sources or None,
        ),
        litert=LiteRTInfo(LITERT_BATCH_SIZE, encoder.input_names, "logit" if num_classes == 2 else "logits"),
        versions=versions(),
        command=list(command or []),
    )


def _embedding_size(config: ModelConfig, source: str | os.PathLike[str]) -> ModelConfig:
    """The config with the embedding as wide as the vectors (read from their first row); a different width
    asked for explicitly is an error."""
    dim = vectors_dim(source)
    if config.embedding_dim not in (dim, ModelConfig().embedding_dim):
        raise DataError(
            f"--embedding-dim {config.embedding_dim} differs from the vectors' {dim} dimensions",
            f"leave --embedding-dim out (it becomes {dim}) or use other vectors",
        )
    return dataclasses.replace(config, embedding_dim=dim)


def _start_from_vectors(
    model: keras.Model, encoder: Encoder, train: list[Encoded], source: str | os.PathLike[str], freeze: bool
) -> dict[str, Any]:
    """Put the vectors into the BiLSTM's embedding; the card's record of where its rows came from."""
    layer = model.get_layer("embedding")
    words = encoder.vocabulary.tokens[1:]  # ids 2..: id 0 is padding, id 1 the unknown word
    vectors = read_vectors(source, words)
    matrix, record, found = vectors_matrix(vectors, words, layer.get_weights()[0], first_row=2)
    layer.set_weights([matrix])
    layer.trainable = not freeze
    ids = np.concatenate([np.asarray(item.token_ids, dtype=np.int64) for item in train]) if train else np.zeros(0)
    ids = ids[ids > 0]
    record["token_coverage"] = round(float(found[ids].mean()), 4) if len(ids) else 0.0
    record["frozen"] = freeze
    return record


def _check_outputs(values: np.ndarray, what: str) -> None:
    """Outputs that are not finite (weights gone to NaN or infinity while every epoch's loss still printed as a
    number) would make the combiner, the metrics and the exported model NaN: training diverged."""
    if not np.all(np.isfinite(values)):
        raise TrainingDiverged(f"training diverged: the {what} are not finite numbers; the learning rate is too high")


def _write_report(folder: Path, card: Card, listener: TrainingListener) -> None:
    """``report.html`` in the model directory (hashed into the card with the other files). A report that cannot
    be drawn (matplotlib missing) is a warning, never a lost model."""
    from ..reports import training_report

    try:
        training_report(card).write(folder / REPORT_FILE)
    except Exception as exc:  # the model matters more than its pictures
        reason = str(exc) if isinstance(exc, SentimentError) else f"{type(exc).__name__}: {exc}"
        listener.on_warning(f"{REPORT_FILE} not written: {reason}")


def _resolve(config: ModelConfig, texts: list[str]) -> ModelConfig:
    """Settle the ``auto`` choices on the training texts; the card records what was chosen."""
    sample = texts[:: max(1, len(texts) // 2000)]
    scripts = scripts_of(sample)
    if config.tokenizer == "auto":
        config = dataclasses.replace(config, tokenizer=scripts.units)
    config = dataclasses.replace(config, head_length=head_length_of(config))
    if config.char_ngrams == "auto":
        median = float(np.median([len(tokenize(text)) for text in sample])) if sample else 0.0
        wanted = config.tokenizer == "chars" or scripts.needs_char_ngrams or median <= SHORT_TEXT_TOKENS
        config = dataclasses.replace(config, char_ngrams="on" if wanted else "off")
    return config


def _gated(z: np.ndarray, encoded: list[Encoded], tau: int) -> np.ndarray:
    """The combiner's input: the branch logits, and with a length gate also the logits times g (see
    :class:`sentiment_cli.model.LengthGate`), from each review's number of n-gram ids."""
    if not tau:
        return z
    counts = np.array([len(item.ngram_ids or ()) for item in encoded], dtype=np.float64)
    return np.column_stack([z, z * length_gate(counts, tau)[:, None]])


def _combine(z: np.ndarray, kernel: np.ndarray, bias: np.ndarray, num_classes: int) -> np.ndarray:
    logits = z @ kernel + bias
    return sigmoid(logits[:, 0]) if num_classes == 2 else softmax(logits)


def _branch_accuracy(z: np.ndarray, labels: np.ndarray, num_classes: int, column: int) -> float:
    """Accuracy of one branch alone: its own logits are the first or second half of ``z``'s columns."""
    width = logit_width(num_classes)
    own = z[:, column * width : (column + 1) * width]
    predicted = predicted_classes(sigmoid(own[:, 0]) if num_classes == 2 else softmax(own))
    return float(np.mean(predicted == labels))


def _describe_combiner(kernel: np.ndarray, bias: np.ndarray, num_classes: int) -> dict[str, Any]:
    if num_classes == 2:
        described = {"bilstm_weight": float(kernel[0, 0]), "ngram_weight": float(kernel[1, 0]), "bias": float(bias[0])}
        if kernel.shape[0] == 4:  # a length gate: the weights of the logits times g
            described |= {"bilstm_gated_weight": float(kernel[2, 0]), "ngram_gated_weight": float(kernel[3, 0])}
        return described
    return {"kernel": kernel.round(6).tolist(), "bias": bias.round(6).tolist()}


def _prepare(
    splits: dict[str, Split], config: ModelConfig, listener: TrainingListener
) -> tuple[Encoder, dict[str, list[Encoded]]]:
    """Build the vocabulary (and n-gram table) from the train split and encode every split."""
    units = config.tokenizer
    listener.on_stage(f"Building the vocabulary ({units}) from {len(splits['train']):,} reviews")
    clauses = units == "words" and config.negation_ends == "punctuation"
    token_lists = tokenize_texts(splits["train"].texts, clauses)
    # the BiLSTM's words are marked as the bag's are, unless only the bag reads the marks
    scope = config.negation_scope if units == "words" and config.negation_marks == "both" else 0
    vocabulary = Vocabulary.from_tokens(
        (mark_negation(units_of(t, units), scope) for t in token_lists), config.vocab_size
    )
    ngrams = None
    if config.arch == "hybrid":
        char_order = config.char_ngram_order if config.char_ngrams == "on" else 0
        ngrams = NgramTable.build(
            token_lists,
            config.ngram_order,
            config.ngram_vocab_size,
            char_order=char_order,
            negation_scope=config.negation_scope,
            negated_ngrams=config.negation_marks == "bag-ngrams",
        )
    encoder = Encoder(vocabulary, config.max_length, ngrams, units, scope, head_length_of(config), clauses)
    listener.on_stage("Encoding reviews")
    encoded = {"train": in_parallel(encoder.encode_token_lists, token_lists)}
    del token_lists
    encoded |= {name: encode_texts(encoder, split.texts) for name, split in splits.items() if name != "train"}
    return encoder, encoded
