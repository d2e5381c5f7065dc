"""Classic baselines on the shared non-IMDB sentiment sets (Korean Steam reviews, SemEval-2017 4A tweets).

    python benchmarks/own_data_baselines.py [--shared ../shared/data] [--out DIR]

Measures, on fixed splits written to --out (default: a new temporary folder; never inside the repo):

* Korean Steam reviews (binary): seeded 80/20 split (numpy default_rng(20261128).permutation, first
  n // 5 indices = test). Char TF-IDF (1-4-grams, sublinear tf, min_df=2) + LogisticRegression, for
  analyzer="char" and analyzer="char_wb". C is chosen from {1, 4, 10} by accuracy on a 10% validation
  split of train (default_rng(0)), then refit on all of train. Reports test accuracy at the chosen C and at C=1.
* SemEval-2017 task 4A tweets (3 classes): test = the 2017 test file, train = every other file. Word
  (1-2-grams, tweet token pattern keeping @mentions and #hashtags) + char_wb (2-5-grams) TF-IDF with
  LogisticRegression, plain and class_weight="balanced". C is chosen from {0.5, 1, 2, 4} by macro recall
  on the 2016dev + 2016devtest files held out of train, then refit on all of train. Also VADER
  (compound >= 0.05 positive, <= -0.05 negative, else neutral). Metrics: macro recall (the official
  SemEval-2017 4A metric), accuracy, macro F1.
* Blitzer books+dvd (binary dev set): row and label counts only; nothing is trained on it.

Prints the elapsed time of each step, a summary table and the paths of the split files written.
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, recall_score

DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
KOREAN_SEED = 20261128
VAL_SEED = 0
KOREAN_CS = (1.0, 4.0, 10.0)
TWEET_CS = (0.5, 1.0, 2.0, 4.0)
TWEET_LABELS = ("negative", "neutral", "positive")
# words (with inner apostrophes), @mentions and #hashtags; lowercased by the vectorizer
TWEET_TOKEN_PATTERN = r"(?u)[@#]?\w[\w']*"

Row = dict[str, object]
rows_table: list[tuple[str, str, str]] = []


def read_jsonl_gz(path: Path) -> list[Row]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_jsonl(path: Path, rows: Iterable[Row]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps({"text": row["text"], "label": row["label"]}, ensure_ascii=False) + "\n")
            count += 1
    return count


class Step:
    """Context manager that prints the wall time of a step."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> Step:
        self.started = time.perf_counter()
        print(f"[{self.name}] ...", flush=True)
        return self

    def __exit__(self, *exc: object) -> None:
        print(f"[{self.name}] done in {time.perf_counter() - self.started:.1f} s", flush=True)


def fit_predict(x_train, y_train, x_eval, c: float, class_weight: str | None = None) -> np.ndarray:
    model = LogisticRegression(C=c, max_iter=2000, class_weight=class_weight)
    model.fit(x_train, y_train)
    return model.predict(x_eval)


# --------------------------------------------------------------------------- Korean


def korean_vectorizer(analyzer: str) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=analyzer, ngram_range=(1, 4), sublinear_tf=True, min_df=2)


def korean(shared: Path, out: Path) -> None:
    rows = read_jsonl_gz(shared / "korean_steam.jsonl.gz")
    n = len(rows)
    perm = np.random.default_rng(KOREAN_SEED).permutation(n)
    n_test = n // 5
    test = [rows[i] for i in perm[:n_test]]
    train = [rows[i] for i in perm[n_test:]]
    train_path, test_path = out / "korean_train.jsonl", out / "korean_test.jsonl"
    write_jsonl(train_path, train)
    write_jsonl(test_path, test)
    print(f"  korean: {n:,} rows -> train {len(train):,} / test {len(test):,}; wrote {train_path}, {test_path}")
    print(f"  korean test labels: {dict(sorted(Counter(r['label'] for r in test).items()))}")

    x_train = [r["text"] for r in train]
    y_train = np.array([int(r["label"]) for r in train])
    x_test = [r["text"] for r in test]
    y_test = np.array([int(r["label"]) for r in test])
    val_perm = np.random.default_rng(VAL_SEED).permutation(len(train))
    n_val = len(train) // 10
    val_idx, fit_idx = val_perm[:n_val], val_perm[n_val:]

    for analyzer in ("char", "char_wb"):
        with Step(f"korean {analyzer}"):
            vec = korean_vectorizer(analyzer)
            x_fit = vec.fit_transform([x_train[i] for i in fit_idx])
            x_val = vec.transform([x_train[i] for i in val_idx])
            val_scores = {
                c: accuracy_score(y_train[val_idx], fit_predict(x_fit, y_train[fit_idx], x_val, c)) for c in KOREAN_CS
            }
            best_c = max(KOREAN_CS, key=lambda c: (val_scores[c], -c))
            print("  val accuracy by C: " + ", ".join(f"C={c:g}: {s:.4f}" for c, s in val_scores.items()))

            vec = korean_vectorizer(analyzer)
            xtr = vec.fit_transform(x_train)
            xte = vec.transform(x_test)
            print(f"  {xtr.shape[1]:,} features on full train")
            acc_best = accuracy_score(y_test, fit_predict(xtr, y_train, xte, best_c))
            acc_c1 = acc_best if best_c == 1.0 else accuracy_score(y_test, fit_predict(xtr, y_train, xte, 1.0))
            print(f"  chosen C={best_c:g}: test accuracy {acc_best:.4f}; at C=1: {acc_c1:.4f}")
            protocol = f"tfidf {analyzer} 1-4 + LR; C from {{1,4,10}} on 10% val -> C={best_c:g}"
            rows_table.append(("korean", protocol, f"acc {acc_best:.4f} (C=1: {acc_c1:.4f})"))


# --------------------------------------------------------------------------- Tweets


def tweet_features(fit_texts: Sequence[str], other: Sequence[Sequence[str]]):
    word = TfidfVectorizer(
        analyzer="word", token_pattern=TWEET_TOKEN_PATTERN, ngram_range=(1, 2), sublinear_tf=True, min_df=2
    )
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    x_fit = hstack([word.fit_transform(fit_texts), char.fit_transform(fit_texts)]).tocsr()
    rest = [hstack([word.transform(t), char.transform(t)]).tocsr() for t in other]
    return x_fit, rest


def tweet_scores(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    return {
        "macro_recall": recall_score(y_true, y_pred, average="macro", labels=list(TWEET_LABELS)),
        "accuracy": accuracy_score(y_true, y_pred),
        "macro_f1": f1_score(y_true, y_pred, average="macro", labels=list(TWEET_LABELS)),
    }


def fmt_scores(scores: dict[str, float]) -> str:
    return f"macroR {scores['macro_recall']:.4f}  acc {scores['accuracy']:.4f}  macroF1 {scores['macro_f1']:.4f}"


def tweets(shared: Path, out: Path) -> None:
    rows = read_jsonl_gz(shared / "tweets_semeval2017_4a.jsonl.gz")
    test = [r for r in rows if str(r["source_file"]).startswith("SemEval2017")]
    train = [r for r in rows if not str(r["source_file"]).startswith("SemEval2017")]
    train_path, test_path = out / "tweets_train.jsonl", out / "tweets_test.jsonl"
    write_jsonl(train_path, train)
    write_jsonl(test_path, test)
    print(f"  tweets: {len(rows):,} rows -> train {len(train):,} / test {len(test):,}; wrote {train_path}, {test_path}")
    print(f"  tweets test labels: {dict(sorted(Counter(r['label'] for r in test).items()))}")

    x_train = [str(r["text"]) for r in train]
    y_train = np.array([r["label"] for r in train])
    x_test = [str(r["text"]) for r in test]
    y_test = np.array([r["label"] for r in test])
    is_dev = np.array(["2016dev" in str(r["source_file"]) for r in train])
    print(f"  selection: {int((~is_dev).sum()):,} fit rows / {int(is_dev.sum()):,} dev rows (2016dev + 2016devtest)")

    with Step("tweets tfidf word+char_wb LR: choose C on 2016dev*"):
        x_fit, (x_dev,) = tweet_features(
            [t for t, d in zip(x_train, is_dev, strict=True) if not d],
            [[t for t, d in zip(x_train, is_dev, strict=True) if d]],
        )
        best: dict[str | None, float] = {}
        for class_weight in (None, "balanced"):
            dev_scores = {
                c: tweet_scores(y_train[is_dev], fit_predict(x_fit, y_train[~is_dev], x_dev, c, class_weight))
                for c in TWEET_CS
            }
            best[class_weight] = max(TWEET_CS, key=lambda c, s=dev_scores: (s[c]["macro_recall"], -c))
            print(
                f"  class_weight={class_weight}: dev macro recall by C: "
                + ", ".join(f"C={c:g}: {s['macro_recall']:.4f}" for c, s in dev_scores.items())
                + f" -> C={best[class_weight]:g}"
            )

    with Step("tweets tfidf word+char_wb LR: refit on all train, score test"):
        xtr, (xte,) = tweet_features(x_train, [x_test])
        print(f"  {xtr.shape[1]:,} features on full train")
        for class_weight, c in best.items():
            scores = tweet_scores(y_test, fit_predict(xtr, y_train, xte, c, class_weight))
            print(f"  class_weight={class_weight} C={c:g}: {fmt_scores(scores)}")
            protocol = f"tfidf word1-2+char_wb2-5 + LR cw={class_weight}; C on 2016dev* -> C={c:g}"
            rows_table.append(("tweets", protocol, fmt_scores(scores)))

    with Step("tweets VADER"):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        analyzer = SentimentIntensityAnalyzer()

        def vader_label(text: str) -> str:
            compound = analyzer.polarity_scores(text)["compound"]
            return "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"

        scores = tweet_scores(y_test, [vader_label(t) for t in x_test])
        print(f"  VADER: {fmt_scores(scores)}")
        rows_table.append(("tweets", "VADER compound +-0.05 thresholds (no training)", fmt_scores(scores)))


# --------------------------------------------------------------------------- Blitzer


def blitzer(shared: Path) -> None:
    rows = read_jsonl_gz(shared / "blitzer_books_dvd.jsonl.gz")
    labels = dict(sorted(Counter(str(r["label"]) for r in rows).items()))
    print(f"  blitzer books+dvd: {len(rows):,} rows, labels {labels} (dev only, not trained on)")
    rows_table.append(("blitzer", "counts only (binary dev set)", f"{len(rows):,} rows, {labels}"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="folder holding the shared *.jsonl.gz")
    parser.add_argument("--out", type=Path, default=None, help="where to write the splits (default: a temp folder)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="owndata-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"shared data: {args.shared}")
    print(f"output dir:  {out}")

    started = time.perf_counter()
    with Step("korean"):
        korean(args.shared, out)
    with Step("tweets"):
        tweets(args.shared, out)
    with Step("blitzer"):
        blitzer(args.shared)

    print(f"\nsummary (total {time.perf_counter() - started:.0f} s)")
    width = max(len(p) for _, p, _ in rows_table)
    for dataset, protocol, result in rows_table:
        print(f"  {dataset:<8} {protocol:<{width}}  {result}")
    print("files written:")
    for path in sorted(out.glob("*.jsonl")):
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
