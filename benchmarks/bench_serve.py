"""`sentiment serve` under load: throughput against `sentiment predict --per-line` on the same texts in the same run,
latency percentiles, and a saturation run whose server memory must stay bounded.

    python benchmarks/bench_serve.py [--data ../shared/data/aclImdb_labeled.tar.gz] [--reviews 4000]
                                     [--saturate 60] [--model DIR]

1. The same N IMDB test reviews (one per line; generated text when the archive is absent) are classified by
   `sentiment predict --per-line FILE` (wall time of the whole command, start-up included, as a user pays it)
   and by a running `sentiment serve` that 16 concurrent clients call with 25 reviews per request over
   keep-alive connections (wall time from the first request to the last answer), alternated for --rounds rounds
   (the machine may be shared: a change in its load falls on both); medians. Goal: server >= 0.8x CLI.
   Latency of the requests: p50, p99; and of one client sending one review per request, one after another.
2. Saturation: 200 clients send 25 reviews each, back to back, for --saturate seconds: 5,000 texts wanted in
   flight against a bound of 1,024, so some are refused with 503. The server's resident memory is sampled
   every 5 s; its peak (VmHWM) must stay under 400 MB and not grow in the second half of the run.

Exits 1 if a goal is missed. Uses only the standard library (http.client, threads, /proc).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "aclImdb_labeled.tar.gz"
PER_REQUEST = 25
CLIENTS = 16
ALONE = 300
"""Requests of the one-review latency: one client, one review each, one after another."""


def reviews(data: Path, n: int) -> tuple[list[str], str]:
    if data.is_file():
        from sentiment_cli.data import load_dataset

        test = load_dataset(data).split("test")
        texts = [" ".join(t.split()) for t in test.texts[:n]]
        return texts, f"{len(texts):,} IMDB test reviews from {data}"
    import random

    rng = random.Random(0)
    words = ["the", "a", "film", "movie", "plot", "acting", "was", "great", "awful", "boring", "moving", "superb",
             "dull", "and", "but", "not", "story"]
    texts = [" ".join(rng.choices(words, k=rng.randint(20, 400))) for _ in range(n)]
    return texts, f"{n:,} generated reviews (no archive at {data})"


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return {key: int(re.search(rf"^{key}:\s+(\d+) kB", status, re.M).group(1)) // 1024 for key in ("VmRSS", "VmHWM")}


class Server:
    def __init__(self, args: list[str], folder: Path) -> None:
        self.err = folder / "serve.err"
        with open(self.err, "wb") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "sentiment_cli", "serve", "--port", "0", *args],
                                            stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip
        deadline = time.monotonic() + 120
        while not (found := re.search(r"127\.0\.0\.1:(\d+)/", self.err.read_text())):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start: {self.err.read_text()}")
            time.sleep(0.1)
        self.port = int(found.group(1))
        while True:
            try:
                if self.get("/readyz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)

    def get(self, path: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request("GET", path)
        response = connection.getresponse()
        answer = response.status, response.read().decode()
        connection.close()
        return answer

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=30)


def clients(port: int, requests: list[list[str]], n_clients: int, until: float | None = None) -> dict:
    """``n_clients`` threads, each on one keep-alive connection, take requests from the list in turn (or, with
    ``until``, cycle through it until that time). Returns latencies of the 200s, and counts by status."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    next_index = [0]

    def work() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if until is None and i >= len(requests):
                break
            if until is not None and time.monotonic() >= until:
                break
            body = json.dumps({"texts": requests[i % len(requests)]})
            started = time.perf_counter()
            try:
                connection.request("POST", "/predict", body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    latencies.append(elapsed)
            if status == 503:
                time.sleep(0.05)  # as a client honouring Retry-After would, a little
        connection.close()

    threads = [threading.Thread(target=work) for _ in range(n_clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"seconds": time.perf_counter() - started, "latencies": latencies, "statuses": statuses}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--reviews", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3, help="CLI and server runs, alternated")
    parser.add_argument("--saturate", type=float, default=60.0, help="seconds of the saturation run (0: none)")
    parser.add_argument("--model", default=None)
    parser.add_argument("--serve-options", default="", help="more options for sentiment serve, e.g. '--max-batch 512'")
    args = parser.parse_args()
    model = ["--model", args.model] if args.model else []
    texts, described = reviews(args.data, args.reviews)
    print(f"{described}; {os.cpu_count()} CPUs; {CLIENTS} clients x {PER_REQUEST} reviews per request")
    failed = []
    with tempfile.TemporaryDirectory() as folder:
        lines = Path(folder) / "reviews.txt"
        lines.write_text("".join(t + "\n" for t in texts), encoding="utf-8")

        def by_cli() -> float:
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "sentiment_cli", "predict", "--per-line", str(lines),
                                   "--format", "jsonl", *model], capture_output=True, check=True)  # fmt: skip
            assert len(done.stdout.splitlines()) == len(texts)
            return time.perf_counter() - started

        server = Server([*model, *args.serve_options.split()], Path(folder))
        try:
            batches = [texts[i : i + PER_REQUEST] for i in range(0, len(texts), PER_REQUEST)]
            clients(server.port, batches[:CLIENTS], CLIENTS)  # warm up: connections, the model's shapes
            before = server.get("/metrics")[1]
            # alternated, so a change in the machine's load (it is shared) falls on both alike
            cli_runs, served_runs = [], []
            for _ in range(args.rounds):
                cli_runs.append(by_cli())
                served_runs.append(clients(server.port, batches, CLIENTS))
            after = server.get("/metrics")[1]
            cli_seconds = statistics.median(cli_runs)
            serve_seconds = statistics.median(run["seconds"] for run in served_runs)
            latencies = [seconds for run in served_runs for seconds in run["latencies"]]
            statuses = {200: sum(run["statuses"].get(200, 0) for run in served_runs)}
            ratio = cli_seconds / serve_seconds
            calls = _metric(after, "sentiment_batches_total") - _metric(before, "sentiment_batches_total")
            model_seconds = "sentiment_model_seconds_total"
            in_model = (_metric(after, model_seconds) - _metric(before, model_seconds)) / args.rounds
            print(f"1. throughput (median of {args.rounds} alternated rounds): sentiment predict --per-line "
                  f"{len(texts) / cli_seconds:,.0f} reviews/s ({cli_seconds:.2f} s, start-up included); "
                  f"sentiment serve {len(texts) / serve_seconds:,.0f} reviews/s ({serve_seconds:.2f} s); "
                  f"ratio {ratio:.2f}x (goal >= 0.8x)")  # fmt: skip
            shown = [f"{seconds:.2f}" for seconds in cli_runs], [f"{run['seconds']:.2f}" for run in served_runs]
            print(f"   rounds: CLI {', '.join(shown[0])} s; server {', '.join(shown[1])} s")
            mean_batch = len(texts) * args.rounds / calls
            print(f"   {len(batches)} requests per round in {calls / args.rounds:.0f} model calls (mean batch "
                  f"{mean_batch:.0f} texts); latency p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
                  f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms; {in_model:.2f} s in model calls per round; "
                  f"statuses {statuses}")  # fmt: skip
            if ratio < 0.8 or statuses[200] != len(batches) * args.rounds:
                failed.append("throughput")
            alone = clients(server.port, [[text] for text in texts[:ALONE]], 1)
            print(f"   one client sending one review per request ({len(alone['latencies'])} requests, as an "
                  f"interactive user does): latency p50 {percentile(alone['latencies'], 0.5) * 1000:.1f} ms, "
                  f"p99 {percentile(alone['latencies'], 0.99) * 1000:.1f} ms")  # fmt: skip

            if args.saturate > 0:
                samples = []
                stop = time.monotonic() + args.saturate

                def sample() -> None:
                    while time.monotonic() < stop:
                        samples.append(memory(server.process.pid)["VmRSS"])
                        time.sleep(5)

                sampler = threading.Thread(target=sample)
                sampler.start()
                saturated = clients(server.port, batches, 200, until=stop)
                sampler.join()
                peak = memory(server.process.pid)["VmHWM"]
                half = len(samples) // 2
                rate = PER_REQUEST * saturated["statuses"].get(200, 0) / saturated["seconds"]
                print(f"2. saturation, 200 clients for {args.saturate:.0f} s: statuses {saturated['statuses']}; "
                      f"{rate:,.0f} reviews/s; p50 {percentile(saturated['latencies'], 0.5) * 1000:.0f} ms, "
                      f"p99 {percentile(saturated['latencies'], 0.99) * 1000:.0f} ms")  # fmt: skip
                print(f"   server RSS every 5 s (MB): {samples}; max RSS (VmHWM) {peak} MB (goal <= 400 MB, "
                      f"no growth in the second half)")  # fmt: skip
                if peak > 400 or (half and max(samples[half:]) > max(samples[:half]) + 20):
                    failed.append("memory")
                if server.get("/healthz")[0] != 200:
                    failed.append("alive after saturation")
        finally:
            code = server.stop()
            print(f"server stopped with exit code {code}")
            if code != 0:
                failed.append("exit code")
    if failed:
        print("MISSED: " + ", ".join(failed))
        raise SystemExit(1)


def _metric(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


if __name__ == "__main__":
    main()
