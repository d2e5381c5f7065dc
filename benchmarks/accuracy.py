"""Train the default recipe on IMDB and score it on the 25,000-review test split.

    python benchmarks/accuracy.py [--data ../shared/data/aclImdb_labeled.tar.gz] [--arch hybrid|seed] [--out DIR]

Prints the wall time of training, the per-epoch validation curve of each branch, the test
accuracy through the LiteRT runtime (the one `predict` uses), and the peers measured on the same
split. Exits 1 if the test accuracy is below the best classic baseline (TF-IDF logistic regression,
90.6%) for the default recipe.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "aclImdb_labeled.tar.gz"
PEERS = {
    "NBSVM (Wang & Manning)": 0.916,
    "TF-IDF uni+bigram logistic regression": 0.906,
    "fastText, bigrams": 0.898,
    "seed notebook recipe, best epoch": 0.840,
    "VADER": 0.699,
    "TextBlob": 0.694,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--arch", default="hybrid", choices=["hybrid", "seed"])
    parser.add_argument("--out", type=Path, default=None, help="keep the model here (default: a temporary folder)")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"IMDB data not found at {args.data}; pass --data PATH", file=sys.stderr)
        return 2

    from sentiment_cli.bundle import read_bundle
    from sentiment_cli.config import ModelConfig
    from sentiment_cli.data import load_dataset
    from sentiment_cli.evaluation import evaluate
    from sentiment_cli.training import train

    out = args.out or Path(tempfile.mkdtemp(prefix="accuracy-")) / "model"
    dataset = load_dataset(args.data)
    started = time.perf_counter()
    result = train(dataset, out, ModelConfig(arch=args.arch), force=True)
    wall = time.perf_counter() - started
    print(f"trained {args.arch} on {len(dataset.split('train')):,} reviews in {wall:.0f} s wall ({wall / 60:.1f} min)")
    for name, history in result.card.history.items():
        curve = ", ".join(
            f"{epoch}: {loss:.4f}/{acc:.4f}"
            for epoch, (loss, acc) in enumerate(zip(history["val_loss"], history["val_accuracy"], strict=True), 1)
        )
        print(f"  {name} validation loss/accuracy by epoch: {curve}")
    for name, scores in result.card.branches.items():
        print(f"  {name} branch alone: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))
    print(f"  combiner: {result.card.training['combiner']}")
    scored = evaluate(dataset, read_bundle(out, purpose="evaluate"), "test")
    accuracy = scored["accuracy"]
    print(
        f"test accuracy (LiteRT runtime): {accuracy:.4f} on {scored['n']:,} reviews; F1 {scored['f1']:.4f}; "
        f"ROC-AUC {scored['roc_auc']:.4f}; {scored['reviews_per_second']:,.0f} reviews/s"
    )
    print("peers on the same split:")
    for name, peer in PEERS.items():
        print(f"  {'beats' if accuracy > peer else 'below'} {name}: {peer:.3f}")
    print(f"model directory: {out} ({sum(f.stat().st_size for f in out.iterdir()) / 1e6:.1f} MB)")
    return 0 if args.arch != "hybrid" or accuracy >= PEERS["TF-IDF uni+bigram logistic regression"] else 1


if __name__ == "__main__":
    sys.exit(main())
