"""How a model holds up on English text of every kind: accuracy, calibration and log loss on each
development set, next to TF-IDF logistic regression trained on the same data (benchmarks/general_data.py)
and VADER, per-category accuracy on the behavioural suite (tests/behaviour/suite.jsonl) and the held-out
negation sentences (tests/behaviour/negation_holdout.jsonl), and the three-class table (SemEval-2017 test).

    python benchmarks/out_of_domain.py [--model DIR ...] [--shared ../shared/data] [--skip-imdb-test]
        [--held-out DOMAIN ...] [--only NAME ...] [--three-class DIR] [--no-peers]

Development sets (read from ../shared/data, never written anywhere; none is trained on): the IMDB test
split, the SST dev trees (sentences, and distinct phrases of 2-6 words), the Amazon book and DVD reviews and
the Yelp restaurant sentences (development only), the SemEval-2017 test tweets, GoEmotions' test split and
the finance tweets' validation split. ``--model`` repeats: the shipped model and the previous one side by
side. A review the model cannot read (no known word or n-gram) counts as wrong for accuracy and as
probability 0.5 for ECE and log loss; their number is printed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
BEHAVIOUR = {
    "behavioural suite": ROOT / "tests" / "behaviour" / "suite.jsonl",
    "held-out negation": ROOT / "tests" / "behaviour" / "negation_holdout.jsonl",
    "held-out negation 2": ROOT / "tests" / "behaviour" / "negation_holdout2.jsonl",
    "held-out negation 3": ROOT / "tests" / "behaviour" / "negation_holdout3.jsonl",
    "held-out negation 4": ROOT / "tests" / "behaviour" / "negation_holdout4.jsonl",
}
TFIDF_C = 4.0


def read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def development_sets(
    shared: Path, skip_imdb_test: bool, held_out: tuple[str, ...] = (), only: tuple[str, ...] = ()
) -> dict[str, tuple[list[str], np.ndarray]]:
    """Every development set, by name: (texts, labels with 1 = positive). ``held_out``: domains of the training
    data (benchmarks/general_data.py) that a model under test was trained without, scored whole as well.
    ``only``: the names (or their start) to build."""
    import random

    from sentiment_cli.data import load_dataset
    from sentiment_cli.trees import phrases, read_lines

    wanted = (lambda name: any(name.startswith(o) for o in only)) if only else (lambda name: True)

    def binary(rows: list[tuple[str, str]]) -> tuple[list[str], np.ndarray]:
        rows = [(t, y) for t, y in rows if y in ("positive", "negative")]
        return [t for t, _ in rows], np.array([y == "positive" for _, y in rows], int)

    sets: dict[str, tuple[list[str], np.ndarray]] = {}
    if not skip_imdb_test and wanted("IMDB test"):
        test = load_dataset(shared / "aclImdb_labeled.tar.gz").split("test")
        sets["IMDB test"] = (list(test.texts), np.asarray(test.labels))
    if wanted("SST dev"):
        sentences: list[tuple[str, str]] = []
        short: dict[str, str] = {}
        for _, line in read_lines(shared / "sst_trees_dev.txt.gz"):
            for phrase in phrases(line) if line else ():
                label = {"0": "negative", "1": "negative", "3": "positive", "4": "positive"}.get(phrase.label, "")
                if phrase.root:
                    sentences.append((phrase.text, label))
                elif 2 <= phrase.words <= 6 and any(c.isalpha() for c in phrase.text):
                    short.setdefault(phrase.text, label)
        sets["SST dev sentences"] = binary(sentences)
        sets["SST dev phrases (2-6 words)"] = binary(list(short.items()))
    if wanted("Amazon"):
        amazon = read_jsonl(shared / "blitzer_books_dvd.jsonl.gz")
        sets["Amazon books+DVD"] = ([r["text"] for r in amazon], np.array([r["label"] == "pos" for r in amazon], int))
    if wanted("Yelp"):
        yelp = read_jsonl(shared / "yelp_sentences_shen.jsonl.gz")
        yelp = [(r["text"], r["label"]) for r in yelp if r["split"] == "dev"]
        sets["Yelp sentences (4,000 of dev)"] = binary(random.Random(7).sample(yelp, 4000))
    if wanted("SemEval"):
        tweets = [
            (r["text"], r["label"])
            for r in read_jsonl(shared / "tweets_semeval2017_4a.jsonl.gz")
            if r["source_file"].startswith("SemEval2017")
        ]
        sets["SemEval-2017 test tweets (pos/neg)"] = binary(tweets)
    if wanted("GoEmotions"):
        reddit = read_jsonl(shared / "goemotions_sentiment.jsonl.gz")
        sets["GoEmotions test (pos/neg)"] = binary([(r["text"], r["label"]) for r in reddit if r["split"] == "test"])
    if wanted("finance"):
        finance = [(r["text"], r["label"]) for r in read_jsonl(shared / "twitter_financial_news.jsonl.gz")
                   if r.get("split") != "train"]  # fmt: skip
        sets["finance tweets, validation (pos/neg)"] = binary(finance)
    if held_out:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from general_data import domain_rows

        for name in held_out:
            sets[f"held-out domain: {name}"] = binary(domain_rows(name, shared, 2))
    for name, path in BEHAVIOUR.items():
        if wanted(name):
            rows = read_jsonl(path)
            sets[name] = ([r["text"] for r in rows], np.array([r["label"] == "positive" for r in rows], int))
    return sets


def scores(p_positive: np.ndarray, labels: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    from sentiment_cli.metrics import classification_metrics

    unreadable = np.isnan(p_positive)
    filled = np.where(unreadable, 0.5, p_positive)
    m = classification_metrics(labels, filled, threshold=threshold)
    correct = ((filled >= threshold).astype(int) == labels) & ~unreadable
    unread = int(unreadable.sum())
    return {"accuracy": float(correct.mean()), "ece": m["ece"], "log_loss": m["log_loss"], "unread": unread}


def _general_rows(shared: Path, classes: int) -> list[tuple[str, str, str]]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from general_data import training_rows

    return training_rows(shared, classes)


class TfidfPeer:
    """TF-IDF logistic regression trained on the shipped model's training data (benchmarks/general_data.py):
    word 1-2-grams (and character 2-5-grams inside word boundaries for three classes)."""

    def __init__(self, shared: Path, classes: int = 2) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_union

        rows = [(text, label) for text, label, split in _general_rows(shared, classes) if split == "train"]
        self.name = "TF-IDF LR (same data)"
        words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=500_000)
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True,
                                max_features=500_000)  # fmt: skip
        self.vectorizer = words if classes == 2 else make_union(words, chars)
        x = self.vectorizer.fit_transform([text for text, _ in rows])
        self.classes = ("negative", "positive") if classes == 2 else ("negative", "neutral", "positive")
        y = np.array([self.classes.index(label) for _, label in rows])
        self.model = LogisticRegression(C=TFIDF_C, max_iter=2000).fit(x, y)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        return self.model.predict_proba(self.vectorizer.transform(texts))

    def __call__(self, texts: list[str]) -> np.ndarray:
        return self.probabilities(texts)[:, 1]


class VaderPeer:
    name = "VADER"

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.analyzer = SentimentIntensityAnalyzer()

    def three_classes(self, texts: list[str]) -> np.ndarray:
        """negative / neutral / positive as VADER's authors advise: compound <= -0.05, between, >= 0.05."""
        compound = np.array([self.analyzer.polarity_scores(t)["compound"] for t in texts])
        return np.where(compound >= 0.05, 2, np.where(compound <= -0.05, 0, 1))

    def __call__(self, texts: list[str]) -> np.ndarray:
        # compound in [-1, 1] read as a probability: (compound + 1) / 2, positive at compound >= 0
        return np.array([(self.analyzer.polarity_scores(t)["compound"] + 1) / 2 for t in texts])


class ModelUnderTest:
    def __init__(self, path: Path | None) -> None:
        from sentiment_cli.bundle import default_model_dir, read_bundle
        from sentiment_cli.runtime import Predictor

        self.path = path or default_model_dir()
        self.name = "shipped model" if path is None else f"{self.path.name}"
        self.predictor = Predictor(read_bundle(self.path, purpose="evaluate"))
        self.threshold = self.predictor.bundle.threshold

    def __call__(self, texts: list[str]) -> np.ndarray:
        return self.predictor.probabilities(texts)[:, 1]


THREE = ("negative", "neutral", "positive")


def three_class_table(shared: Path, model: Path | None, peers: bool) -> None:
    """SemEval-2017 test, three classes: macro-averaged recall (the task's measure), each class's recall and
    accuracy, for a three-class model, TF-IDF LR (words + characters) on the same data, and VADER."""
    from sentiment_cli.bundle import default_model_dir, read_bundle, shipped_models
    from sentiment_cli.runtime import Predictor

    rows = read_jsonl(shared / "tweets_semeval2017_4a.jsonl.gz")
    rows = [r for r in rows if r["source_file"].startswith("SemEval2017")]
    texts = [r["text"] for r in rows]
    gold = np.array([THREE.index(r["label"]) for r in rows])
    systems: list[tuple[str, np.ndarray]] = []
    if model is not None or "three-class" in shipped_models():
        path = model or default_model_dir("three-class")
        predictor = Predictor(read_bundle(path, purpose="evaluate"))
        order = [list(predictor.bundle.labels).index(c) for c in THREE]
        p = predictor.probabilities(texts)[:, order]
        predicted = np.where(np.isnan(p).any(axis=1), -1, np.nan_to_num(p, nan=-1).argmax(axis=1))  # -1: declined
        systems.append((path.name if model else "shipped three-class", predicted))
    if peers:
        systems.append(("TF-IDF LR (same data)", TfidfPeer(shared, 3).probabilities(texts).argmax(axis=1)))
        systems.append(("VADER (+-0.05)", VaderPeer().three_classes(texts)))
    print()
    print(f"SemEval-2017 test, three classes ({len(texts):,} tweets):")
    print(f"{'system':24} {'macro recall':>12} {'negative':>9} {'neutral':>9} {'positive':>9} {'accuracy':>9}")
    for name, predicted in systems:
        recalls = [float(np.mean(predicted[gold == k] == k)) for k in range(3)]
        print(f"{name:24} {np.mean(recalls):12.4f} " + " ".join(f"{r:9.4f}" for r in recalls)
              + f" {float(np.mean(predicted == gold)):9.4f}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, action="append", help="model directory; repeat (default: shipped)")
    parser.add_argument("--held-out", nargs="*", default=[], help="training domains the models never saw: scored whole")
    parser.add_argument("--only", nargs="*", default=[], help="development sets whose names start so")
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--skip-imdb-test", action="store_true", help="leave out the 25,000 IMDB test reviews")
    parser.add_argument("--no-peers", action="store_true", help="only the model (no TF-IDF LR or VADER)")
    parser.add_argument("--three-class", type=Path, default=None, help="three-class model (default: the shipped one)")
    parser.add_argument("--skip-three-class", action="store_true", help="leave out the three-class table")
    args = parser.parse_args()
    if not (args.shared / "aclImdb_labeled.tar.gz").exists():
        print(f"data not found in {args.shared}; pass --shared DIR", file=sys.stderr)
        return 2

    started = time.perf_counter()
    sets = development_sets(args.shared, args.skip_imdb_test, tuple(args.held_out), tuple(args.only))
    systems = [ModelUnderTest(path) for path in (args.model or [None])]
    if not args.no_peers:
        systems += [TfidfPeer(args.shared), VaderPeer()]
    print(f"(data and peers ready in {time.perf_counter() - started:.0f} s)")
    behaviour = {name: read_jsonl(path) for name, path in BEHAVIOUR.items()}
    per_category: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    header = f"{'development set':36} {'n':>6}  {'system':18} {'accuracy':>8} {'ECE':>6} {'log loss':>8}  unread"
    print(header)
    print("-" * len(header))
    for set_name, (texts, labels) in sets.items():
        for system in systems:
            p = system(texts)
            threshold = getattr(system, "threshold", 0.5)
            s = scores(p, labels, threshold)
            print(
                f"{set_name:36} {len(texts):6,}  {system.name:18} {s['accuracy']:8.4f} {s['ece']:6.3f} "
                f"{s['log_loss']:8.3f}  {s['unread']}"
            )
            if set_name in behaviour:
                right = ((np.nan_to_num(p, nan=-1) >= threshold).astype(int) == labels) & ~np.isnan(p)
                categories = np.array([r["category"] for r in behaviour[set_name]])
                for category in dict.fromkeys(categories):
                    per_category[set_name][system.name][category] = float(right[categories == category].mean())
    names = [system.name for system in systems]
    for set_name, rows in behaviour.items():
        print()
        print(f"{set_name}, accuracy per category ({len(rows)} sentences):")
        print(f"{'category':18} {'n':>4}  " + "  ".join(f"{n:>18}" for n in names))
        for category in per_category[set_name][names[0]]:
            n = sum(r["category"] == category for r in rows)
            print(f"{category:18} {n:4}  " + "  ".join(f"{per_category[set_name][x][category]:18.3f}" for x in names))
    if not args.skip_three_class:
        three_class_table(args.shared, args.three_class, not args.no_peers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
