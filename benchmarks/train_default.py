"""Rebuild a shipped model: ``models/default`` (positive / negative) or ``models/three-class`` (negative /
neutral / positive), trained on every data set of ../shared/data that may train a shipped model.

    python benchmarks/train_default.py [--classes 2|3] [--out DIR] [--work /tmp/general-data] [--hold-out DOMAIN ...]
                                       [--include sentiment140] [--repeat DOMAIN=K ...]
                                       [-- extra sentiment train options]

The data is written to ``--work`` by benchmarks/general_data.py (one JSON Lines file per domain, each domain's
classes balanced, a validation share of each; development data never). The recipe's options are
:data:`RECIPE` (and :data:`RECIPE_3` for three classes); the card lists each source file with its sha256 and
licence (``--data-sources``), and the command line. ``--hold-out`` trains without whole domains: how the
recipe was chosen (never for a shipped model).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from general_data import SHARED, write_domains  # noqa: E402

RECIPE = [
    "--embeddings", "glove", "--vocab-size", "30000", "--char-ngrams", "off", "--epochs", "4", "--patience", "1",
    "--negation-marks", "bag-ngrams", "--negation-ends", "punctuation", "--negation-scope", "5",
]  # fmt: skip
"""The recipe's options beyond the defaults, chosen on the development sets (docs/results.md: the shipped model)."""
RECIPE_3 = ["--embeddings", "glove", "--vocab-size", "30000"]
OUT = {2: ROOT / "models" / "default", 3: ROOT / "models" / "three-class"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--classes", type=int, choices=(2, 3), default=2)
    parser.add_argument("--out", type=Path, default=None, help="default: models/default or models/three-class")
    parser.add_argument("--work", type=Path, default=Path("/tmp/general-data"))
    parser.add_argument("--hold-out", nargs="*", default=[], help="domains to leave out (experiments only)")
    parser.add_argument("--include", nargs="*", default=[], help="left-out domains to train on (experiments only)")
    parser.add_argument(
        "--repeat", nargs="*", default=[], metavar="DOMAIN=K", help="write a domain's train rows K times (experiments)"
    )
    parser.add_argument("train_options", nargs="*", help="extra options for sentiment train (after --)")
    args = parser.parse_args()
    work = args.work / f"{args.classes}-classes"
    repeat = {name: int(times) for name, times in (item.split("=") for item in args.repeat)}
    manifest = write_domains(args.shared, work, args.classes, tuple(args.hold_out), repeat, tuple(args.include))
    sources = [
        {"name": name, "file": entry["source"], "sha256": entry["source_sha256"], "licence": entry["licence"],
         "rows": entry["rows"]}
        for name, entry in manifest.items()
    ]  # fmt: skip
    (work / "sources.json").write_text(json.dumps(sources, indent=1) + "\n")
    for name, entry in manifest.items():
        times = f", train rows written {entry['repeated']} times" if entry.get("repeated", 1) > 1 else ""
        counts = f"{entry['rows']:7,} rows ({entry['validation']:,} validation{times})"
        print(f"{name:13} {counts} {entry['labels']}", flush=True)
    out = args.out or OUT[args.classes]
    command = [
        "sentiment", "train", *(entry["file"] for entry in manifest.values()), "--out", str(out), "--force",
        "--data-sources", str(work / "sources.json"), *(RECIPE if args.classes == 2 else RECIPE_3),
        *args.train_options,
    ]  # fmt: skip
    print(" ".join(command), flush=True)
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main())
