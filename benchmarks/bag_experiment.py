"""How a recipe choice moves the hybrid's n-gram bag alone, in minutes rather than the whole model's 45:
train only the bag on the general training data (benchmarks/general_data.py) and print its accuracy on
IMDB test and each development set of benchmarks/out_of_domain.py.

    python benchmarks/bag_experiment.py [--char-ngrams on|off] [--ngram-vocab-size N] [--imdb-repeat K]
                                        [--epochs N] [--learning-rate LR] [--patience N] [--hold-out DOMAIN ...]

One JSON line: the options, the bag's history, and accuracy per set (logit > 0). This is how the shipped
recipe's ``--char-ngrams off`` and IMDB's train rows written three times were chosen (docs/results.md).
Needs the ``train`` extra and ../shared/data; about 6 minutes alone on 2 cores, 8 GB of memory.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from general_data import REPEAT, SHARED, default_domains, domain_split, repeated
from out_of_domain import development_sets

from sentiment_cli._tensorflow import keras
from sentiment_cli.checkpoint import Checkpoint, State
from sentiment_cli.config import ModelConfig
from sentiment_cli.data import Split
from sentiment_cli.model import branch, build_model
from sentiment_cli.training import _prepare, _resolve
from sentiment_cli.training.batches import encode_texts
from sentiment_cli.training.fitting import Session, SilentListener
from sentiment_cli.training.hybrid import naive_bayes_weights

SETS = ("IMDB", "SST", "Amazon", "Yelp", "SemEval", "GoEmotions", "finance", "behav")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--char-ngrams", choices=("on", "off"), default="off")
    parser.add_argument("--ngram-vocab-size", type=int, default=300_000)
    parser.add_argument("--imdb-repeat", type=int, default=REPEAT["imdb"])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=0.01, help="the bag's (--ngram-learning-rate)")
    parser.add_argument("--patience", type=int, default=1)
    parser.add_argument("--hold-out", nargs="*", default=[])
    args = parser.parse_args()
    started = time.monotonic()
    rows: list[tuple[str, str, str]] = []
    for name in default_domains(2):
        if name not in args.hold_out:
            times = args.imdb_repeat if name == "imdb" else 1
            rows += repeated(name, domain_split(name, args.shared, 2), 2, times)
    splits = {}
    for split in ("train", "validation"):
        chosen = [(text, label) for text, label, s in rows if s == split]
        splits[split] = Split([t for t, _ in chosen], np.array([y == "positive" for _, y in chosen], int))
    config = ModelConfig(
        arch="hybrid", tokenizer="words", char_ngrams=args.char_ngrams, ngram_vocab_size=args.ngram_vocab_size,
        vocab_size=30_000,
    )  # fmt: skip
    config = _resolve(config, splits["train"].texts)
    encoder, encoded = _prepare(splits, config, SilentListener())
    config = dataclasses.replace(config, vocab_size=len(encoder.vocabulary), ngram_vocab_size=len(encoder.ngrams))
    development = development_sets(args.shared, False, tuple(args.hold_out), only=SETS)
    for name, (texts, labels) in development.items():
        splits[name] = Split(list(texts), np.asarray(labels))
        encoded[name] = encode_texts(encoder, list(texts))
    keras.utils.set_random_seed(42)
    model = build_model(config, 2)
    prior = naive_bayes_weights(encoded["train"], splits["train"].labels, encoder.ngrams.input_dim, 2)
    model.get_layer("ngram_weights").set_weights([prior])
    session = Session(
        encoder, encoded, splits, 2, 64, 42, SilentListener(), model,
        Checkpoint(Path(tempfile.mkdtemp()), "bag"), State("bag"),
    )  # fmt: skip
    bag = branch(model, "ngram")
    session.fit("the n-gram bag", bag, args.epochs, args.learning_rate, args.patience, logits=True)
    accuracy = {
        name: round(float(np.mean((session.predict(bag, name) > 0) == splits[name].labels)), 4) for name in development
    }
    history = {key: [round(v, 4) for v in values] for key, values in session.history["the n-gram bag"].items()}
    print(json.dumps({"options": vars(args) | {"shared": str(args.shared)}, "history": history,
                      "accuracy": accuracy, "seconds": round(time.monotonic() - started)}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
