"""Training time of the default recipe on 150,000 short reviews (the size of NSMC's ratings_train.txt).

    python benchmarks/bench_train_large.py [--data ../shared/data/korean_steam.jsonl.gz] [--rows 150000]

Korean Steam reviews (median 36 characters, like NSMC's movie reviews) are sampled with replacement
up to ``--rows`` and written to a temporary NSMC-style ``.txt`` (tab-separated ``id``, ``document``,
``label``), then ``sentiment train`` runs on it with no tuning flags, as a user would. Prints the
wall time of the whole command and of each stage from the model card, and exits 1 above 10 minutes.
The sampled rows repeat, so the accuracy printed is not a measure of the model, only the time is.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "korean_steam.jsonl.gz"
BUDGET_SECONDS = 600


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rows", type=int, default=150_000)
    args = parser.parse_args()
    if not args.data.exists():
        print(f"data not found at {args.data}; pass --data PATH", file=sys.stderr)
        return 2
    with gzip.open(args.data, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    pick = np.random.default_rng(0).integers(0, len(rows), args.rows)
    folder = Path(tempfile.mkdtemp(prefix="bench-train-"))
    data = folder / "ratings_train.txt"
    with open(data, "w", encoding="utf-8") as out:
        out.write("id\tdocument\tlabel\n")
        for i, index in enumerate(pick):
            out.write(f"{i}\t{rows[index]['text']}\t{rows[index]['label']}\n")
    model = folder / "model"
    started = time.perf_counter()
    command = [sys.executable, "-m", "sentiment_cli", "train", str(data), "--out", str(model)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return 1
    card = json.loads((model / "card.json").read_text(encoding="utf-8"))
    training = card["training"]
    print(f"sentiment train on {args.rows:,} short reviews ({data}): {wall:.0f} s wall ({wall / 60:.1f} min)")
    print(f"  chosen: tokenizer {card['model']['tokenizer']}, char n-grams {card['model']['char_ngrams']}, "
          f"batch size {training['batch_size']}")  # fmt: skip
    for name, seconds in training["fit_seconds"].items():
        print(f"  {name}: {seconds:.0f} s, {training['epochs_run'][name]} epochs (best {training['best_epoch'][name]})")
    print(f"  total inside train(): {training['total_seconds']:.0f} s")
    print(f"  budget: {BUDGET_SECONDS} s -> {'met' if wall <= BUDGET_SECONDS else 'MISSED'}")
    return 0 if wall <= BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
