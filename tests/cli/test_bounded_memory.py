"""Memory bounded by design on every stream: what predict and the readers keep about the reviews they passed
(for a count and the first few in a message) does not grow with their number."""

import tracemalloc

import pytest

from conftest import runner
from sentiment_cli.cli import app
from sentiment_cli.reviews import Problem, Review, TableInput, read_table
from sentiment_cli.runtime import Prediction


def peak_bytes(run) -> int:
    """The most memory Python held while ``run()`` ran, above what it held before."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        run()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


class KnowsNothing:
    """A predictor that knows no word: every review gets no label, as lines of numbers or emoji do."""

    labels = ("negative", "positive")

    def __init__(self, bundle) -> None:
        pass

    def stream(self, chunks, threshold=None):
        for chunk in chunks:
            yield [Prediction(i.source, i.text, None, None) if isinstance(i, Review) else i for i in chunk]


@pytest.mark.slow  # 120,000 reviews through the command under tracemalloc: about a minute on a busy machine
def test_predict_counts_the_reviews_it_could_not_score_without_keeping_their_names(tmp_path, monkeypatch):
    """predict kept the source of every unlabelled review for one warning: 308 MB for 3M such lines."""
    import sentiment_cli.bundle
    import sentiment_cli.runtime

    monkeypatch.setattr(sentiment_cli.bundle, "read_bundle", lambda model, purpose=None: None)
    monkeypatch.setattr(sentiment_cli.runtime, "Predictor", KnowsNothing)

    def run(lines: int):
        path = tmp_path / f"{lines}.txt"
        path.write_text("".join(f"qqzxv{i} {'x' * 90}\n" for i in range(lines)))  # 1 MiB blocks of 10,000 lines
        result = {}

        def invoke():
            args = ["predict", "--per-line", str(path), "--format", "jsonl", "-o", "/dev/null"]
            result["r"] = runner.invoke(app, args)

        return peak_bytes(invoke), result["r"]

    small, _ = run(30_000)
    large, result = run(90_000)
    assert result.exit_code == 0, result.output
    assert f"90,000 reviews had no word or n-gram the model knows (first: {tmp_path}/90000.txt:1)" in result.stderr
    # 60,000 more names ("FILE:LINE", about 100 bytes each, and the list) would be about 7 MB more
    assert large - small < 1_500_000, (small, large)


@pytest.mark.slow  # 220,000 rows under tracemalloc
def test_a_table_counts_rows_without_text_and_malformed_rows_without_listing_them(tmp_path):
    def run(rows: int) -> tuple[int, list[str]]:
        path = tmp_path / f"{rows}.csv"
        path.write_text("id,text\n" + "".join(f"{i},\n" if i % 2 else f'{i},"a",b\n' for i in range(rows)))
        messages: list[str] = []

        def read():
            for chunk in read_table(str(path), TableInput(), chunk_size=256):
                messages.extend(i.message for i in chunk if isinstance(i, Problem))

        return peak_bytes(read), messages

    small, _ = run(20_000)
    large, messages = run(200_000)
    assert messages[0].startswith(f"{tmp_path}/200000.csv: 100,000 malformed rows (lines 2, 4, 6, 8,")
    assert messages[1].startswith(f"{tmp_path}/200000.csv: 100,000 rows (lines 3, 5, 7, 9, 11, 13, 15, 17, 19, 21")
    assert "and 99,990 more) without text" in messages[1]
    assert large - small < 1_000_000, (small, large)  # 180,000 more line numbers in lists: about 6 MB


def test_lines_are_made_reviews_a_chunk_at_a_time_not_a_block_at_a_time(tmp_path):
    """A 1 MiB block of short lines became about 87,000 reviews held at once (some 25 MB) before the first
    chunk of 256 was handed out."""
    from sentiment_cli.reviews import read_lines

    path = tmp_path / "short.txt"
    path.write_bytes(b"".join(b"film %d\n" % i for i in range(150_000)))  # 1.4 MB: more than a block
    count = 0

    def read():
        nonlocal count
        with open(path, "rb") as handle:  # a file descriptor: read a 1 MiB block at a time
            for chunk in read_lines(handle, "f"):
                count += len(chunk)

    peak = peak_bytes(read)
    assert count == 150_000
    assert peak < 16_000_000, peak  # the block, its lines as bytes (about 10 MB), not 87,000 reviews (38 MB)
