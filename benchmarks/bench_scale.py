"""Batch scoring on Spark (local mode, 1 and 2 workers) next to `sentiment predict` on the same rows.

    python benchmarks/bench_scale.py [--data ../shared/data/aclImdb_labeled.tar.gz] [--repeat 10] [--quick]

Writes to a temporary folder under /tmp (removed at the end, nothing in the repository):
  - the 25,000 IMDB test reviews as Parquet (`id`, `text`; one row group, as a plain `pq.write_table` writes
    it: Spark reads it as one partition and `score` spreads it over the workers) and as a text file of one
    review per line (line breaks inside a review become spaces; IMDB reviews have none);
  - the same reviews repeated `--repeat` times (250,000 rows; ids 0..249,999) as Parquet in row groups of
    25,000, and as text.

Then runs, each in its own process, timed from start to exit:
  - `sentiment predict --per-line FILE.txt --format jsonl > /dev/null` (the issue's comparison);
  - `sentiment predict FILE.parquet --id-column id --output OUT.parquet` (Parquet in and out, like Spark);
  - `sentiment score FILE.parquet OUT --id-column id --master local[N]` for N = 1, 2: the
    whole run (JVM start included) and the job alone (reading, scoring, writing; the summary line's time).

and checks that Spark's output equals `sentiment predict`'s on the 25,000 rows (same labels, max |dp|,
every id exactly once), and that each of the 250,000 rows has its original review's values.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "aclImdb_labeled.tar.gz"
SUMMARY = re.compile(r"Scored ([\d,]+) rows .* in ([\d.]+) s \(")


def run(command: list[str], *, stdout: int | None = subprocess.DEVNULL) -> tuple[float, str]:
    """Wall seconds of one command (it must succeed), and its stderr."""
    started = time.perf_counter()
    result = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-2000:]}")
    return seconds, result.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model", type=Path, default=None, help="model directory (default: the shipped one)")
    parser.add_argument("--repeat", type=int, default=10, help="the large file is the test reviews this many times")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--quick", action="store_true", help="2,000 reviews, to check the script itself")
    args = parser.parse_args()

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sentiment_cli.data import load_dataset

    texts = [" ".join(t.splitlines()) for t in load_dataset(args.data).split("test").texts]
    if args.quick:
        texts = texts[:2000]
    n = len(texts)
    model = [] if args.model is None else ["--model", str(args.model)]
    sentiment = [str(Path(sys.executable).with_name("sentiment"))]
    spark_job = [str(Path(sys.executable).with_name("sentiment")), "score"]
    cpus = os.cpu_count()
    print(f"{n:,} IMDB test reviews; {n * args.repeat:,} rows repeated; {cpus} CPUs (shared with other work)")

    folder = Path(tempfile.mkdtemp(prefix="bench_scale-", dir="/tmp"))
    try:
        small, large = folder / "small.parquet", folder / "large.parquet"
        pq.write_table(pa.table({"id": np.arange(n), "text": texts}), small)
        big = pa.table({"id": np.arange(n * args.repeat), "text": texts * args.repeat})
        pq.write_table(big, large, row_group_size=n)
        del big
        (folder / "small.txt").write_text("".join(t + "\n" for t in texts), encoding="utf-8")
        (folder / "large.txt").write_text("".join(t + "\n" for t in texts) * args.repeat, encoding="utf-8")
        groups = {name: pq.ParquetFile(folder / f"{name}.parquet").num_row_groups for name in ("small", "large")}
        print(f"Parquet row groups: small {groups['small']}, large {groups['large']}\n")

        rows = []
        for name, count in (("small", n), ("large", n * args.repeat)):
            wall, _ = run(
                [*sentiment, "predict", "--per-line", str(folder / f"{name}.txt"), "--format", "jsonl", *model]
            )
            rows.append((f"sentiment predict --per-line ({name})", count, wall, None))
            out = folder / f"predict-{name}.parquet"
            wall, _ = run(
                [*sentiment, "predict", str(folder / f"{name}.parquet"), "--id-column", "id", "-o", str(out), *model]
            )
            rows.append((f"sentiment predict .parquet -o .parquet ({name})", count, wall, None))
            for workers in args.workers:
                out = folder / f"spark-{name}-{workers}"
                command = [*spark_job, str(folder / f"{name}.parquet"), str(out), "--id-column", "id"]
                wall, err = run([*command, "--master", f"local[{workers}]", *model])
                match = SUMMARY.search(err)
                if not match or int(match.group(1).replace(",", "")) != count:
                    sys.exit(f"unexpected summary from {' '.join(command)}:\n{err[-2000:]}")
                rows.append((f"spark local[{workers}] ({name})", count, wall, float(match.group(2))))

        print(f"{'run':<48} {'rows':>9} {'wall s':>8} {'rows/s':>8} {'job s':>7} {'job rows/s':>10}")
        for label, count, wall, job in rows:
            job_cells = f"{job:7.1f} {count / job:10,.0f}" if job else f"{'':7} {'':10}"
            print(f"{label:<48} {count:9,} {wall:8.1f} {count / wall:8,.0f} {job_cells}")
        spark = {(label.split()[1], label.split("(")[1][:-1]): (wall, job) for label, _, wall, job in rows if job}
        for name in ("small", "large"):
            one, two = spark.get(("local[1]", name)), spark.get(("local[2]", name))
            if one and two:
                print(f"speed-up 2 workers / 1 ({name}): {one[0] / two[0]:.2f}x whole run, {one[1] / two[1]:.2f}x job")

        reference = pq.read_table(folder / "predict-small.parquet").to_pydict()
        expected = {
            int(i): (label, p)
            for i, label, p in zip(*(reference[k] for k in ("id", "label", "probability")), strict=True)
        }
        for name, count in (("small", n), ("large", n * args.repeat)):
            for workers in args.workers:
                got = pq.read_table(folder / f"spark-{name}-{workers}").to_pydict()
                ids = got["id"]
                if len(ids) != count or len(set(ids)) != count:
                    sys.exit(f"spark {name} local[{workers}]: {len(ids):,} rows, {len(set(ids)):,} distinct ids")
                worst, labels_differ = 0.0, 0
                for i, label, p in zip(ids, got["label"], got["probability"], strict=True):
                    want_label, want_p = expected[i % n]
                    labels_differ += label != want_label
                    if p is not None and want_p is not None:
                        worst = max(worst, abs(p - want_p))
                    elif p != want_p:
                        labels_differ += 1
                print(f"spark {name} local[{workers}] vs predict: {count:,} ids once each, "
                      f"{labels_differ} labels differ, max |dp| {worst:.1e}")  # fmt: skip
                if labels_differ or worst > 1e-6:
                    return 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
