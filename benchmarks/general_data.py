"""The shipped models' training data, from ../shared/data: one JSON Lines file per domain, written to a work
folder (never into the repository), and the development sets the recipe is chosen on.

    python benchmarks/general_data.py [--shared ../shared/data] [--work /tmp/general-data] [--classes 2|3]
                                      [--hold-out DOMAIN ...]

Only sets whose "shipped model" column in SOURCES.md says yes are trained on; the SemEval-2017 test file,
the SST dev trees, GoEmotions' test split, the finance tweets' validation split, the Amazon (Blitzer) and
Yelp files are development data and are never written here (IMDB's test split is written as the ``test``
split: it is scored into the card, never trained on). Each domain's classes are sampled down (seeded)
to its rarest class's count, so no domain teaches the model a class prior, and IMDB's train
rows are written three times for the binary model (:data:`REPEAT`); a random 4% of each domain (at
most 1,500 rows) is the validation split (``split`` column) that picks the epoch and fits the combiner.
``--hold-out`` leaves whole domains out, to measure how the recipe does on a domain it has never seen.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from sentiment_cli.files import file_sha256

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SEED = 20261207
VALIDATION_SHARE = 0.04
VALIDATION_CAP = 1500
REPEAT = {"imdb": 3}
"""Domains whose train rows are written more than once (binary model): IMDB's 24,000 long reviews are a tenth
of the rows, and without the weight the bag fits short texts first: its IMDB test accuracy fell from 0.909 to
0.900 (benchmarks/bag_experiment.py, docs/results.md). Validation and test rows are written once."""

SOURCES = {
    "imdb": ("aclImdb_labeled.tar.gz", "Large Movie Review Dataset v1.0 (Maas et al., ACL 2011), research use"),
    "semeval": ("tweets_semeval2017_4a.jsonl.gz", "SemEval 2013-2016 Task 4A tweets, Twitter terms, research use"),
    "sst": ("sst_trees_train.txt.gz", "Stanford Sentiment Treebank train trees, research data, redistributed"),
    "goemotions": ("goemotions_sentiment.jsonl.gz", "GoEmotions (Demszky et al., ACL 2020), Apache-2.0"),
    "clothing": ("womens_clothing_reviews.jsonl.gz", "Women's E-Commerce Clothing Reviews (Kaggle), CC0"),
    "tse": ("tweet_sentiment_extraction.jsonl.gz", "Figure Eight 'Emotion in Text' via Kaggle, CC BY 4.0"),
    "finance": ("twitter_financial_news.jsonl.gz", "twitter-financial-news-sentiment, MIT"),
    "sentiment140": ("sentiment140_100k.jsonl.gz", "Sentiment140 (Go et al. 2009), weakly labelled, no licence"),
}


def read_jsonl(path: Path) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _stars(value: object, classes: int) -> str | None:
    stars = int(value)  # type: ignore[arg-type]
    if classes == 2:
        return "negative" if stars <= 2 else "positive" if stars >= 4 else None
    return "negative" if stars <= 2 else "neutral" if stars == 3 else "positive"


def _sst(value: str, classes: int) -> str | None:
    score = int(value)
    if score == 2:
        return None if classes == 2 else "neutral"
    return "negative" if score < 2 else "positive"


def domain_rows(name: str, shared: Path, classes: int) -> list[tuple[str, str]]:
    """(text, label) of one domain's training rows, labels negative/positive (and neutral for 3 classes)."""
    keep: Callable[[str], bool] = (lambda label: label in ("negative", "positive")) if classes == 2 else (
        lambda label: label in ("negative", "neutral", "positive")
    )
    path = shared / SOURCES[name][0]
    if name == "imdb":
        if classes != 2:
            return []
        from sentiment_cli.data import load_dataset

        train = load_dataset(path).split("train")
        return [(t, ("negative", "positive")[int(y)]) for t, y in zip(train.texts, train.labels, strict=True)]
    if name == "sst":
        from sentiment_cli.trees import phrases, read_lines

        rows: dict[str, str] = {}
        for _, line in read_lines(path):
            for phrase in phrases(line) if line else ():
                label = _sst(phrase.label, classes)
                if label is not None and phrase.text not in rows and any(c.isalnum() for c in phrase.text):
                    rows[phrase.text] = label
        return list(rows.items())
    out: list[tuple[str, str]] = []
    for r in read_jsonl(path):
        if name == "semeval" and r["source_file"].startswith("SemEval2017"):
            continue  # the 2017 test file is development data
        if name == "goemotions" and r.get("split") == "test":
            continue
        if name == "finance" and r.get("split") != "train":
            continue
        label = _stars(r["label"], classes) if name == "clothing" else str(r["label"])
        if label is None or not keep(label):
            continue
        out.append((r["text"], label))
        if name == "tse" and r.get("phrase") and r["phrase"].strip() != r["text"].strip() and label != "neutral":
            out.append((r["phrase"].strip(), label))  # the words that carry the sentiment, on their own
    return out


def balanced(rows: list[tuple[str, str]], rng: random.Random) -> list[tuple[str, str]]:
    by_label: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        by_label.setdefault(row[1], []).append(row)
    least = min(len(v) for v in by_label.values())
    chosen = [row for label in sorted(by_label) for row in rng.sample(by_label[label], least)]
    rng.shuffle(chosen)
    return chosen


def default_domains(classes: int) -> tuple[str, ...]:
    """The domains a model of this many classes trains on: IMDB and Sentiment140 have no neutral class."""
    return tuple(SOURCES) if classes == 2 else tuple(n for n in SOURCES if n not in ("imdb", "sentiment140"))


def domain_split(name: str, shared: Path, classes: int) -> list[tuple[str, str, str]]:
    """(text, label, split) of one domain: its classes balanced, the first rows (after a seeded shuffle) the
    validation split."""
    found = domain_rows(name, shared, classes)
    if not found:
        return []
    chosen = balanced(found, random.Random(f"{SEED}-{name}"))
    validation = min(VALIDATION_CAP, int(len(chosen) * VALIDATION_SHARE))
    rows = [(text, label, "validation" if i < validation else "train") for i, (text, label) in enumerate(chosen)]
    if name == "imdb" and classes == 2:  # scored into the card as its test split: IMDB test, the classic figure
        from sentiment_cli.data import load_dataset

        test = load_dataset(shared / SOURCES["imdb"][0]).split("test")
        rows += [(t, ("negative", "positive")[int(y)], "test") for t, y in zip(test.texts, test.labels, strict=True)]
    return rows


def repeated(
    name: str, rows: list[tuple[str, str, str]], classes: int, times: int | None = None
) -> list[tuple[str, str, str]]:
    """``rows`` with their train rows written ``times`` times (default: the domain's :data:`REPEAT`, binary
    model only)."""
    if times is None:
        times = REPEAT.get(name, 1) if classes == 2 else 1
    return rows + [row for row in rows if row[2] == "train"] * (times - 1)


def training_rows(shared: Path, classes: int, hold_out: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    """(text, label, split) of every domain's rows, as :func:`write_domains` writes them, in memory."""
    names = [name for name in default_domains(classes) if name not in hold_out]
    return [row for name in names for row in repeated(name, domain_split(name, shared, classes), classes)]


def write_domains(shared: Path, work: Path, classes: int, hold_out: tuple[str, ...] = ()) -> dict[str, dict]:
    """One ``DOMAIN.jsonl`` per domain in ``work`` (``text``, ``label``, ``split``); the manifest by domain:
    file, rows, labels, the source's file name, sha256 and licence."""
    work.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, dict] = {}
    for name in default_domains(classes):
        if name in hold_out or not (rows := repeated(name, domain_split(name, shared, classes), classes)):
            continue
        target = work / f"{name}.jsonl"
        with target.open("w", encoding="utf-8") as handle:
            for text, label, split in rows:
                handle.write(json.dumps({"text": text, "label": label, "split": split}, ensure_ascii=False) + "\n")
        source = shared / SOURCES[name][0]
        repeat = REPEAT.get(name, 1) if classes == 2 else 1
        validation = sum(split == "validation" for _, _, split in rows)
        manifest[name] = {
            "file": str(target),
            "rows": sum(split == "train" for _, _, split in rows) // repeat + validation,
            "repeated": repeat,
            "validation": validation,
            "test": sum(split == "test" for _, _, split in rows),
            "labels": dict(Counter(label for _, label, split in rows if split != "test")),
            "source": source.name,
            "source_sha256": file_sha256(source),
            "licence": SOURCES[name][1],
        }
    return manifest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--work", type=Path, default=Path("/tmp/general-data"))
    parser.add_argument("--classes", type=int, choices=(2, 3), default=2)
    parser.add_argument("--hold-out", nargs="*", default=[], choices=sorted(SOURCES))
    args = parser.parse_args()
    manifest = write_domains(args.shared, args.work, args.classes, tuple(args.hold_out))
    (args.work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for name, entry in manifest.items():
        print(f"{name:13} {entry['rows']:7,} rows ({entry['validation']:,} validation) -> {entry['file']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
