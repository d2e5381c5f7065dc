"""How faithful `--explain` is, the ERASER way (DeYoung et al., 2020): comprehensiveness is how much the
model's logit toward its predicted class drops when the top 10% of a review's words (by explanation
weight toward that class) are removed, next to removing as many words at random. Higher is more faithful;
an explanation no better than chance has top ≈ random.

    python benchmarks/explain_faithfulness.py [--model DIR] [--n 500] [--shared ../shared/data]

Prints, for 500 IMDB test reviews and 500 SemEval-2017 test tweets (positive and negative; a fixed-seed
sample), each method's mean logit drop (top 10% vs random 10%) and seconds per explained review:
``occlusion`` (leave one word out of both branches: the explanations before) and ``exact`` (the n-gram
bag's exact shares plus BiLSTM occlusion: the explanations now).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SEED = 7
FRACTION = 0.1


def samples(shared: Path, n: int) -> dict[str, list[str]]:
    from sentiment_cli.data import load_dataset

    rng = random.Random(SEED)
    imdb = load_dataset(shared / "aclImdb_labeled.tar.gz").split("test").texts
    with gzip.open(shared / "tweets_semeval2017_4a.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    tweets = [r["text"] for r in rows if r["source_file"].startswith("SemEval2017") and r["label"] != "neutral"]
    return {"IMDB test": rng.sample(list(imdb), n), "SemEval-2017 tweets": rng.sample(tweets, n)}


def toward_predicted(logits: np.ndarray) -> np.ndarray:
    """The logit toward each row's class as predicted on the first row: binary log-odds signed by it."""
    if logits.ndim == 1:
        return logits * (1.0 if logits[0] >= 0 else -1.0)
    target = int(np.argmax(logits[0]))
    return logits[:, target] - logits.mean(axis=1)


def comprehensiveness(predictor, texts: list[str], method: str) -> tuple[float, float, float, int]:
    from sentiment_cli.explain import explain
    from sentiment_cli.text import tokenize_with_offsets

    encoder = predictor.encoder
    rng = random.Random(SEED)
    top_drops, random_drops, seconds, used = [], [], 0.0, 0
    for text in texts:
        words = [t.text for t in tokenize_with_offsets(text, encoder.tokens_needed, encoder.pattern)]
        if len(words) < 2:
            continue
        started = time.perf_counter()
        e = explain(predictor, text, method=method)
        seconds += time.perf_counter() - started
        if not e.tokens:
            continue  # the model knows nothing in it, and explains nothing (it gives no label either)
        k = max(1, math.ceil(FRACTION * len(e.tokens)))
        sign = 1.0
        logits = predictor.logits_of([encoder.encode_tokens(words)])
        if logits.ndim == 1 and logits[0] < 0:
            sign = -1.0  # toward negative: the most negative weights are the top
        order = sorted(range(len(e.tokens)), key=lambda i: -sign * e.tokens[i].weight)
        top = set(order[:k])
        chance = set(rng.sample(range(len(e.tokens)), k))
        variants = [encoder.encode_tokens(words)]
        for removed in (top, chance):
            variants.append(encoder.encode_tokens([w for i, w in enumerate(words) if i not in removed]))
        z = toward_predicted(predictor.logits_of(variants))
        top_drops.append(z[0] - z[1])
        random_drops.append(z[0] - z[2])
        used += 1
    return float(np.mean(top_drops)), float(np.mean(random_drops)), seconds / max(used, 1), used


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--shared", type=Path, default=SHARED)
    args = parser.parse_args()
    if not (args.shared / "aclImdb_labeled.tar.gz").exists():
        print(f"data not found in {args.shared}; pass --shared DIR", file=sys.stderr)
        return 2

    from sentiment_cli.bundle import default_model_dir, read_bundle
    from sentiment_cli.runtime import Predictor

    predictor = Predictor(read_bundle(args.model or default_model_dir()))
    methods = ["occlusion", "exact"] if predictor.encoder.ngrams is not None else ["occlusion"]
    print(f"model: {args.model or 'shipped'}; top {FRACTION:.0%} of words removed vs as many at random")
    head = f"{'texts':22} {'method':10} {'n':>4} {'drop, top 10%':>14} {'drop, random':>13} {'ratio':>6}"
    print(head + f" {'s/review':>9}")
    for name, texts in samples(args.shared, args.n).items():
        for method in methods:
            top, chance, seconds, used = comprehensiveness(predictor, texts, method)
            ratio = top / chance if chance > 0 else float("inf")
            print(f"{name:22} {method:10} {used:4} {top:14.3f} {chance:13.3f} {ratio:6.1f} {seconds:9.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
