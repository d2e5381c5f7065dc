"""Experiment: does a generated negation contrast set teach the default recipe that "not bad" is positive?

    python benchmarks/negation_augmentation.py [--frames 2] [--min-log-odds 0.5] [--work /tmp/negation-augmentation]

Trains the default recipe (as ``benchmarks/train_default.py`` does: IMDB's training split and the
non-development SemEval tweets) plus a contrast set written to ``--work`` (never into the repository),
then scores the result with ``benchmarks/out_of_domain.py --no-peers``: the development sets, the
behavioural suite and the held-out negation sentences.

The contrast set (after Kaushik et al., 2020, "counterfactually augmented data", made by rule here):
polar words are the alphabetic entries of VADER's lexicon (``pip install vaderSentiment``) with
|valence| >= 1, seen in at least 20 training texts, whose smoothed log-odds between positive and
negative training texts agree with VADER's sign by at least ``--min-log-odds``. Each word goes into
``--frames`` negated frames with the opposite label ("it was not {w}.") and as many plain frames with its
own ("it was {w}."), so every frame is seen equally often with both labels and only the pairing of a
negator with a polar word carries a signal. The frames keep the word inside the default negation scope
(3 words), so the model reads it marked. None of them was taken from the behavioural sentences.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

from train_default import SEED, SHARED, write_tweets

HERE = Path(__file__).resolve().parent
NEGATED_FRAMES = [
    "not {w}.", "it is not {w}.", "it was not {w}.", "this isn't {w}.", "that wasn't {w}.",
    "i didn't find it {w}.", "never {w}.", "nothing {w} about it.", "not really {w}.", "hardly {w}.",
    "i don't think it's {w}.", "they were not {w}.", "no {w} here.", "it never felt {w}.",
]  # fmt: skip
PLAIN_FRAMES = [
    "{w}.", "it is {w}.", "it was {w}.", "this is {w}.", "that was {w}.",
    "i found it {w}.", "always {w}.", "something {w} about it.", "really {w}.", "quite {w}.",
    "i think it's {w}.", "they were {w}.", "so {w} here.", "it felt {w}.",
]  # fmt: skip


def polar_words(texts: list[str], positive: list[bool], min_log_odds: float) -> dict[str, list[str]]:
    """VADER's polar words that the training texts agree with, by polarity (``positive``/``negative``)."""
    import vaderSentiment

    from sentiment_cli.text import NEGATORS, SCOPE_BREAKERS, tokenize

    seen: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}
    for text, is_positive in zip(texts, positive, strict=True):
        seen[is_positive].update(set(tokenize(text)))
    n_positive, n_negative = sum(positive), len(positive) - sum(positive)
    lexicon = Path(vaderSentiment.__file__).with_name("vader_lexicon.txt")
    words: dict[str, list[str]] = {"positive": [], "negative": []}
    for line in lexicon.read_text(encoding="utf-8").splitlines():
        word, valence = line.split("\t")[:2]
        if not (word.isascii() and word.isalpha()) or word in NEGATORS or word in SCOPE_BREAKERS:
            continue
        p, n = seen[True][word], seen[False][word]
        if abs(float(valence)) < 1.0 or p + n < 20:
            continue
        log_odds = math.log((p + 1) / (n_positive + 1)) - math.log((n + 1) / (n_negative + 1))
        if float(valence) > 0 and log_odds >= min_log_odds:
            words["positive"].append(word)
        elif float(valence) < 0 and log_odds <= -min_log_odds:
            words["negative"].append(word)
    return words


def contrast_set(words: dict[str, list[str]], frames: int) -> list[dict[str, str]]:
    rng = random.Random(SEED)
    opposite = {"positive": "negative", "negative": "positive"}
    rows = []
    for polarity, chosen in words.items():
        for word in sorted(chosen):
            negated = rng.sample(NEGATED_FRAMES, frames)
            rows += [{"text": f.format(w=word), "label": opposite[polarity]} for f in negated]
            rows += [{"text": f.format(w=word), "label": polarity} for f in rng.sample(PLAIN_FRAMES, frames)]
    rng.shuffle(rows)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--work", type=Path, default=Path("/tmp/negation-augmentation"))
    parser.add_argument("--frames", type=int, default=2, help="negated (and plain) frames per polar word")
    parser.add_argument("--min-log-odds", type=float, default=0.5)
    args = parser.parse_args()
    from sentiment_cli.data import load_dataset

    tweets = args.work / "tweets_train_posneg.jsonl"
    write_tweets(args.shared, tweets)
    imdb = load_dataset(args.shared / "aclImdb_labeled.tar.gz").split("train")
    tweet_rows = [json.loads(line) for line in tweets.open(encoding="utf-8")]
    texts = list(imdb.texts) + [r["text"] for r in tweet_rows]
    positive = [bool(y) for y in imdb.labels] + [r["label"] == "positive" for r in tweet_rows]
    words = polar_words(texts, positive, args.min_log_odds)
    rows = contrast_set(words, args.frames)
    contrast = args.work / "negation_contrast.jsonl"
    contrast.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    print(
        f"polar words: {len(words['positive'])} positive, {len(words['negative'])} negative; "
        f"contrast set: {len(rows):,} sentences -> {contrast}",
        flush=True,
    )
    model = args.work / "augmented"
    train = ["sentiment", "train", str(args.shared / "aclImdb_labeled.tar.gz"), str(tweets), str(contrast)]
    if subprocess.call([*train, "--out", str(model), "--force"]) != 0:
        return 1
    score = [sys.executable, str(HERE / "out_of_domain.py"), "--model", str(model), "--no-peers"]
    return subprocess.call([*score, "--shared", str(args.shared)])


if __name__ == "__main__":
    sys.exit(main())
