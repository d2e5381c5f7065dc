"""Prediction speed, memory and parity against the Keras reference (issue: prediction fast enough for pipelines).

Runs with public tools only (subprocess, os.wait4 for each child's peak memory, time.perf_counter)
and prints medians with min/max and the ratios against the reference. Exits 1 if a goal is missed.

    python benchmarks/bench_predict.py [--data ../shared/data/aclImdb_labeled.tar.gz] [--model DIR] [--quick]

Goals (medians, side by side in the same run):
  1. cold start of `sentiment predict review.txt` <= 0.25 s and <= 80 MB, >= 15x faster than a plain
     Keras script predicting the same review with the same model.keras; `sentiment --help` <= 0.25 s;
     both within 1.5x of the floor the design card sets (`python -c "import numpy,
     ai_edge_litert.interpreter, typer"`), measured side by side (21 rounds of the three in turn), so the
     ratio holds on slower machines
  2. throughput over the test reviews (`sentiment predict --per-line`) >= 1.5x the Keras reference
     (same tokenizer, model.predict at its best batch size, every review padded to the training length)
  3. peak memory of that run <= 250 MB
  4. LiteRT probabilities equal Keras's within 1e-4 on 2,000 test reviews, labels agree on all
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "aclImdb_labeled.tar.gz"

REFERENCE = textwrap.dedent(
    """
    import sys, time, json
    import numpy as np
    from sentiment_cli.bundle import read_bundle
    import keras
    import sentiment_cli.model  # registers the hybrid's own layers (LengthGate) for safe_mode loading
    bundle = read_bundle(sys.argv[1])
    model = keras.saving.load_model(bundle.keras_path, safe_mode=True, compile=False)
    encoder = bundle.encoder
    texts = [line for line in open(sys.argv[2], encoding="utf-8").read().split("\\n") if line.strip()]
    batch = int(sys.argv[3])
    items = [encoder.encode(t) for t in texts]
    arrays = encoder.batch(items, length=encoder.max_length)
    inputs = arrays if len(model.inputs) > 1 else arrays["token_ids"]
    p = model.predict(inputs, batch_size=batch, verbose=0).ravel()
    labels = ["positive" if v >= 0.5 else "negative" for v in p]
    sys.stdout.write("".join(json.dumps({"label": l, "probability": float(v)}) + "\\n" for l, v in zip(labels, p)))
    """
)


# Runs one command and prints its wall time and peak memory. A separate small process does the
# spawning because Linux records the spawning process's memory high-water mark into the child's
# ru_maxrss at exec, and this script holds the whole dataset.
LAUNCHER = """
import json, os, sys, time
started = time.perf_counter()
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ, file_actions=[
    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0), (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
print(json.dumps([time.perf_counter() - started, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)]))
"""


def run(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one fresh process running ``command``."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *command], capture_output=True, text=True, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"launcher failed: {done.stderr}")
    wall, peak, code = json.loads(done.stdout)
    if code != 0:
        raise SystemExit(f"failed ({code}): {' '.join(command)}\n{done.stderr}")
    return wall, peak


def summary(label: str, walls: list[float], peaks: list[float]) -> dict:
    result = {"median": statistics.median(walls), "min": min(walls), "max": max(walls), "rss": statistics.median(peaks)}
    print(
        f"  {label:<34} median {result['median']:7.3f} s  (min {result['min']:.3f}, max {result['max']:.3f})"
        f"  peak {result['rss']:6.1f} MB",
        flush=True,
    )
    return result


def repeat(label: str, command: list[str], times: int) -> dict:
    return interleaved({label: command}, times)[label]


def interleaved(commands: dict[str, list[str]], rounds: int) -> dict[str, dict]:
    """Each command once a round, in turn, ``rounds`` times: a drift in the machine's speed (another
    process, the CPU's clock) falls on all of them alike, so their ratios hold."""
    runs: dict[str, tuple[list[float], list[float]]] = {label: ([], []) for label in commands}
    for _ in range(rounds):
        for label, command in commands.items():
            wall, peak = run(command)
            runs[label][0].append(wall)
            runs[label][1].append(peak)
    return {label: summary(label, walls, peaks) for label, (walls, peaks) in runs.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="IMDB archive or folder")
    parser.add_argument("--model", type=Path, default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--quick", action="store_true", help="fewer runs and 5,000 reviews (not the goals' setting)")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"IMDB data not found at {args.data}; pass --data PATH (the aclImdb archive or folder)", file=sys.stderr)
        return 2

    from sentiment_cli.bundle import default_model_dir
    from sentiment_cli.data import load_dataset

    model = args.model or default_model_dir()
    script = shutil.which("sentiment", path=str(Path(sys.executable).parent)) or shutil.which("sentiment")
    if script is None:
        print("the sentiment command is not installed next to this Python", file=sys.stderr)
        return 2
    # An installed wheel has byte-code (pip compiles it); a checkout under PYTHONDONTWRITEBYTECODE=1 would
    # compile every module at every start instead. Measure what users run.
    import compileall

    import sentiment_cli

    compileall.compile_dir(Path(sentiment_cli.__file__).parent, quiet=1)
    test = load_dataset(args.data).split("test")
    n = 5_000 if args.quick else len(test)
    cold_runs, big_runs = (5, 1) if args.quick else (21, 3)
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    review = work / "review.txt"
    review.write_text(test.texts[0], encoding="utf-8")
    lines = work / "reviews.txt"
    lines.write_text("".join(" ".join(t.split()) + "\n" for t in test.texts[:n]), encoding="utf-8")
    reference = work / "reference.py"
    reference.write_text(REFERENCE)
    print(f"model {model}; {n:,} test reviews from {args.data}; {os.cpu_count()} CPUs")
    failures = []

    def goal(ok: bool, text: str) -> None:
        print(f"  [{'ok' if ok else 'MISSED'}] {text}")
        if not ok:
            failures.append(text)

    print("1. cold start, one review")
    starts = interleaved(
        {
            "sentiment predict review.txt": [script, "predict", "--model", str(model), str(review)],
            "sentiment --help": [script, "--help"],
            "floor: import numpy, LiteRT, typer": [
                sys.executable, "-c", "import numpy, ai_edge_litert.interpreter, typer"
            ],
        },
        cold_runs,
    )  # fmt: skip
    ours, help_, floor = starts.values()
    keras_command = [sys.executable, str(reference), str(model), str(review), "1"]
    keras_one = repeat("keras reference, one review", keras_command, 1 if args.quick else 3)
    speedup = keras_one["median"] / ours["median"]
    for label, measured in (("one review", ours), ("--help", help_)):
        ratio = measured["median"] / floor["median"]
        goal(ratio <= 1.5, f"{label} {measured['median']:.3f} s is {ratio:.2f}x the import floor (<= 1.5x)")
    goal(ours["median"] <= 0.25, f"cold start {ours['median']:.3f} s <= 0.25 s")
    goal(ours["rss"] <= 80, f"cold start peak {ours['rss']:.1f} MB <= 80 MB")
    goal(speedup >= 15, f"cold start {speedup:.1f}x faster than Keras (>= 15x)")
    goal(help_["median"] <= 0.25, f"--help {help_['median']:.3f} s <= 0.25 s")

    print(f"2./3. throughput, {n:,} reviews one per line")
    batches = {}
    for batch in (64, 256):
        batches[batch] = repeat(
            f"keras reference, batch {batch}", [sys.executable, str(reference), str(model), str(lines), str(batch)], 1
        )
    best = min(batches, key=lambda b: batches[b]["median"])
    keras_many = (
        batches[best]
        if big_runs == 1
        else repeat(
            f"keras reference, batch {best}",
            [sys.executable, str(reference), str(model), str(lines), str(best)],
            big_runs,
        )
    )
    many = repeat(
        "sentiment predict --per-line",
        [script, "predict", "--model", str(model), "--per-line", str(lines), "-f", "jsonl"],
        big_runs,
    )
    ratio = keras_many["median"] / many["median"]
    print(f"  ours {n / many['median']:,.0f} reviews/s; Keras {n / keras_many['median']:,.0f} reviews/s (batch {best})")
    goal(ratio >= 1.5, f"throughput {ratio:.2f}x the Keras reference (>= 1.5x)")
    goal(many["rss"] <= 250, f"throughput peak {many['rss']:.1f} MB <= 250 MB")

    print("4. parity on 2,000 test reviews")
    parity = subprocess.run(
        [sys.executable, "-c", PARITY, str(model), str(lines)], capture_output=True, text=True, check=False
    )
    print(textwrap.indent(parity.stdout.strip(), "  "))
    goal(parity.returncode == 0, "LiteRT within 1e-4 of Keras, labels agree")

    shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} goal(s) missed" if failures else "all goals met")
    return 1 if failures else 0


PARITY = textwrap.dedent(
    """
    import sys
    import numpy as np
    from sentiment_cli.bundle import read_bundle
    from sentiment_cli.runtime import Predictor
    import keras
    import sentiment_cli.model  # registers the hybrid's own layers (LengthGate) for safe_mode loading
    bundle = read_bundle(sys.argv[1])
    texts = [l for l in open(sys.argv[2], encoding="utf-8").read().split("\\n") if l.strip()][:2000]
    fast = Predictor(bundle).probabilities(texts)
    model = keras.saving.load_model(bundle.keras_path, safe_mode=True, compile=False)
    arrays = bundle.encoder.batch([bundle.encoder.encode(t) for t in texts], length=bundle.encoder.max_length)
    ref = model.predict(arrays if len(model.inputs) > 1 else arrays["token_ids"], verbose=0)
    if ref.shape[1] == 1:  # two classes: Keras gives P(positive), the runtime both classes' probabilities
        ref = np.column_stack([1 - ref[:, 0], ref[:, 0]])
    diff = float(np.abs(fast - ref).max())
    agree = int((fast.argmax(1) == ref.argmax(1)).sum())
    print(f"max |LiteRT - Keras| = {diff:.2e}; labels agree on {agree}/{len(texts)}")
    sys.exit(0 if diff <= 1e-4 and agree == len(texts) else 1)
    """
)

if __name__ == "__main__":
    sys.exit(main())
