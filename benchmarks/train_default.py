"""Rebuild the shipped model (models/default): the default recipe on IMDB's training split plus the
positive and negative tweets of the SemEval tweet files that are not development data.

    python benchmarks/train_default.py [--shared ../shared/data] [--out models/default] [--work /tmp/default-data]

The tweets file is written to ``--work`` (never into the repository): every positive and negative tweet
whose ``source_file`` does not start with ``SemEval2017`` (that file's rows are the development set), with
the positives sampled down (seeded) to as many as the negatives, so neither domain teaches the model a
class prior. The Amazon reviews are never trained on. The card lists both data sets with their hashes,
and the command line. Extra ``sentiment train`` options go after ``--``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SEED = 20261128


def write_tweets(shared: Path, out: Path) -> dict[str, int]:
    with gzip.open(shared / "tweets_semeval2017_4a.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    kept = [r for r in rows if not r["source_file"].startswith("SemEval2017") and r["label"] != "neutral"]
    positive = [r for r in kept if r["label"] == "positive"]
    negative = [r for r in kept if r["label"] == "negative"]
    positive = random.Random(SEED).sample(positive, len(negative))
    chosen = sorted(positive + negative, key=lambda r: r["tweet_id"])
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for r in chosen:
            handle.write(json.dumps({"text": r["text"], "label": r["label"]}, ensure_ascii=False) + "\n")
    return {"positive": len(positive), "negative": len(negative)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "default")
    parser.add_argument("--work", type=Path, default=Path("/tmp/default-data"))
    parser.add_argument("train_options", nargs="*", help="extra options for sentiment train (after --)")
    args = parser.parse_args()
    tweets = args.work / "tweets_train_posneg.jsonl"
    print(f"tweets for training: {write_tweets(args.shared, tweets)} -> {tweets}", flush=True)
    command = [
        "sentiment", "train", str(args.shared / "aclImdb_labeled.tar.gz"), str(tweets),
        "--out", str(args.out), "--force", *args.train_options,
    ]  # fmt: skip
    print(" ".join(command), flush=True)
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main())
