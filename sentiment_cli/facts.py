"""What a model card says, in words: the rows ``inspect`` prints and the training report shows, written once.

Each function returns plain ``(fact, value)`` strings; the presenters style them (Rich in ``cli/render.py``,
HTML in ``reports``). A card's descriptive values are shown, never trusted: numbers are formatted only when
they are numbers, and paths are shown as their file names (the build machine's folders mean nothing here).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .config import ModelConfig, describe_window

if TYPE_CHECKING:
    from .bundle import Card, TrainingRecord


def number(value: Any, spec: str) -> str:
    """``value`` formatted when it is a number; otherwise as it is (``?`` for none)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format(value, spec)
    return "?" if value is None else str(value)


def card_facts(card: Card) -> list[tuple[str, str]]:
    """The facts of a model card, in the order ``inspect`` shows them: the network, the data, how it was
    fitted, the classes, the combiner, the embedding's start, each split's accuracy, when it was made."""
    model, training, data = card.model, card.training, card.data
    rows = [("architecture", model.arch)]
    rows.append(("vocabulary", f"{number(model.vocab_size, ',')} entries (+1 padding id), {model.tokenizer}"))
    if model.arch == "hybrid":
        chars = ", and character 1-4-grams" if model.char_ngrams == "on" else ""
        bag = f"{number(model.ngram_vocab_size, ',')} n-grams of 1 to {model.ngram_order} words{chars} (+2 ids)"
        rows.append(("n-gram bag", bag))
    rows.append(("sequence length", describe_window(model.max_length, model.head_length)))
    rows.append(("negation", describe_negation(model)))
    rows += data_rows(card)
    if data.rows_skipped:
        skipped = "; ".join(f"{number(n, ',')} {reason}" for reason, n in data.rows_skipped.items())
        rows.append(("rows skipped", skipped))
    epochs = training.epochs_run or {}
    for name, seconds in (training.fit_seconds or {}).items():
        kept = training.kept(name, card.history.get(name, {}))
        rows.append((f"trained {name}", f"{epochs.get(name)} epochs (best {kept}), {seconds} s"))
    rows.append(("classes", ", ".join(f"{i}: {name}" for i, name in enumerate(card.labels))))
    combiner = training.combiner or {}
    if "kernel" in combiner:
        n = len(card.labels)
        rows.append(("combiner", f"Dense({n}, softmax) over the {2 * n} branch logits, fitted on the validation split"))
    elif combiner:
        rows.append(("combiner", combiner_formula(combiner, model.length_gate)))
    rows += embedding_rows(training)
    for split, values in card.metrics.items():
        rows.append((f"{split} accuracy", f"{number(values.accuracy, '.4f')} on {number(values.n, ',')} reviews"))
    for name, scores in card.branches.items():
        rows.append((f"{name} branch alone", ", ".join(f"{split} {number(v, '.4f')}" for split, v in scores.items())))
    rows.append(("created", card.created))
    return rows


def describe_negation(model: ModelConfig) -> str:
    """Which words are read as negated, and where the marks go: "not bad" read as not ¬bad."""
    words = model.tokenizer != "chars"
    where = {
        "both": "the bag's 1-grams and the BiLSTM's words" if words else "the bag's 1-grams",
        "bag": "the bag's 1-grams",
        "bag-ngrams": "the bag's n-grams of every length",
    }[model.negation_marks]
    if model.arch != "hybrid":
        where = "the BiLSTM's words" if words and model.negation_marks == "both" else ""
    if not model.negation_scope or not where:
        return "not marked"
    ends = ", or punctuation" if model.negation_ends == "punctuation" else ""
    return f"up to {model.negation_scope} words after a negator (until a contrast word{ends}), ¬ in {where}"


def file_name(value: Any) -> str:
    """A path the card holds, as its file name: the build machine's folders mean nothing to a reader."""
    text = str(value)
    return text if "://" in text else os.path.basename(text.rstrip("/\\")) or text


def _sha(value: Any) -> str | None:
    return f"sha256 {value[:12]}…" if isinstance(value, str) and value else None


def data_rows(card: Card) -> list[tuple[str, str]]:
    """What the card says of the training data, exactly and only that: each part (its file name, kind, files,
    bytes, hash and split sizes), the splits, and the named sources (name, file, licence). Nothing the card
    does not hold is shown (no '?' placeholders), and no build machine's folders."""
    data = card.data.to_dict()
    fingerprint = data.get("fingerprint") if isinstance(data.get("fingerprint"), dict) else {}
    parts = data.get("parts") or fingerprint.get("parts") or ([data] if data.get("source") else [])
    rows: list[tuple[str, str]] = []
    for n, part in enumerate(p for p in parts if isinstance(p, dict)):
        source = part.get("path") or part.get("source")
        if not source:
            continue
        facts = [str(part["kind"])] if part.get("kind") else []
        if isinstance(part.get("files"), int) and part["files"] != 1:
            facts.append(f"{part['files']:,} files")
        if isinstance(part.get("bytes"), int):
            facts.append(f"{part['bytes']:,} bytes")
        facts += [s for s in [_sha(part.get("sha256"))] if s]
        splits = part.get("splits")
        if isinstance(splits, dict) and splits:
            facts.append(", ".join(f"{name} {number(count, ',')}" for name, count in splits.items()))
        names = " + ".join(file_name(s) for s in str(source).split(" + "))
        rows.append(("data" if n == 0 else "", names + (f" ({'; '.join(facts)})" if facts else "")))
    splits = data.get("splits")
    if isinstance(splits, dict) and splits and len(rows) != 1:
        rows.append(("data splits", ", ".join(f"{name} {number(count, ',')}" for name, count in splits.items())))
    for n, entry in enumerate(card.data.sources or ()):
        said = [str(entry["name"])] if entry.get("name") else []
        said += [file_name(entry["file"])] if entry.get("file") else []
        said += [f"licence {entry['licence']}"] if entry.get("licence") else []
        rows.append(("data sources" if n == 0 else "", ", ".join(said)))
    return rows


def combiner_formula(combiner: dict[str, Any], length_gate: Any = None) -> str:
    """The hybrid's combiner as the model computes it: with the length gate (``bilstm_gated_weight``,
    ``ngram_gated_weight`` and the model's ``length_gate`` tau), logit = a·BiLSTM + b·bag + g·(c·BiLSTM + d·bag)
    + e with g = 1/(1 + n/tau), n the review's n-gram ids; without it, logit = a·BiLSTM + b·bag + e."""

    def term(key: str, first: bool = False) -> str:
        """``0.201`` first, else ``+ 0.201`` or ``- 1.578``: each weight with its own sign, once."""
        value = combiner.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            return ("" if first else "+ ") + number(value, "")
        return f"{value:.3f}" if first else f"{'-' if value < 0 else '+'} {abs(value):.3f}"

    main = f"{term('bilstm_weight', True)}·BiLSTM {term('ngram_weight')}·bag"
    gated = "bilstm_gated_weight" in combiner or "ngram_gated_weight" in combiner
    if gated and isinstance(length_gate, int | float) and length_gate > 0:
        inner = f"{term('bilstm_gated_weight', True)}·BiLSTM {term('ngram_gated_weight')}·bag"
        return (f"logit = {main} + g·({inner}) {term('bias')}, g = 1/(1 + n/{length_gate:g}), n the review's "
                "n-gram ids; p = sigmoid(logit), fitted on the validation split")  # fmt: skip
    return f"logit = {main} {term('bias')}; p = sigmoid(logit), fitted on the validation split"


def embedding_rows(training: TrainingRecord) -> list[tuple[str, str]]:
    """Where the embedding started: ``R of V rows from SOURCE (sha256 …), token coverage X%``."""
    vectors = training.embeddings
    if not isinstance(vectors, dict):
        return []
    found, rows = vectors.get("rows_from_vectors"), vectors.get("vocabulary_rows")
    said = f"{number(found, ',')} of {number(rows, ',')} rows" if found is not None and rows is not None else "rows"
    said += f" from {file_name(vectors['source'])}" if vectors.get("source") else ""
    said += f" ({sha})" if (sha := _sha(vectors.get("sha256"))) else ""
    if isinstance(vectors.get("token_coverage"), int | float):
        said += f", token coverage {100 * vectors['token_coverage']:.1f}%"
    if vectors.get("frozen") or vectors.get("freeze_embeddings"):
        said += ", frozen"
    return [("embedding", said)]
