"""Length caps while reading: an endless review and a huge archive member are read only to the cap."""

from __future__ import annotations

import io
import tarfile
import tracemalloc


class Endless(io.RawIOBase):
    """``pattern`` repeated for ``size`` bytes (forever: None), made as it is read, like /dev/zero."""

    def __init__(self, pattern: bytes, size: int | None = None) -> None:
        self.pattern, self.left = pattern, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = len(buffer) if self.left is None else min(len(buffer), self.left)
        buffer[:n] = (self.pattern * (n // len(self.pattern) + 1))[:n]
        if self.left is not None:
            self.left -= n
        return n


def test_reviews_longer_than_the_cap_are_cut_as_they_stream(tmp_path):
    from sentiment_cli.reviews import MAX_REVIEW_BYTES, Problem, read_file, read_lines, read_sources

    def flat(chunks):
        return [item for chunk in chunks for item in chunk]

    tracemalloc.start()
    try:
        # 64 MiB on one line, then a short one: the first MiB of the long line is kept, the rest never held
        stream = io.BufferedReader(Endless(b"word ", 64 << 20))
        items = flat(read_lines(stream, "big"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    reviews = [i for i in items if not isinstance(i, Problem)]
    assert [r.source for r in reviews] == ["big:1"] and len(reviews[0].text) == MAX_REVIEW_BYTES
    assert [p.message for p in items if isinstance(p, Problem)] == [
        "big: 1 review (line 1) longer than 1 MiB: only the first 1 MiB of each classified"
    ]
    assert peak < 12 * MAX_REVIEW_BYTES  # a few MiB of buffers and text, not 64
    # /dev/zero: no line ever ends; it is found not to be text after the first MiB, and reading stops
    zeros = flat(read_lines(io.BufferedReader(Endless(b"\0")), "<stdin>"))
    assert [(p.message, p.fatal) for p in zeros] == [
        ("<stdin>: not text (NUL bytes at line 1); skipped from there", True)
    ]
    # a NUL byte on a last line without a newline is found as on any other line
    last = flat(read_lines(io.BytesIO(b"a fine film\nawful \0 film"), "f"))
    assert [getattr(i, "text", None) for i in last] == ["a fine film", None]
    assert last[-1].message == "f: not text (NUL bytes at line 2); skipped from there" and last[-1].fatal
    # a whole file, and all of stdin with --whole: the first MiB, cut before a split UTF-8 character
    big = tmp_path / "big.txt"
    big.write_bytes("é".encode() * MAX_REVIEW_BYTES)
    notice, review = read_file(big)
    assert review.text == "é" * (MAX_REVIEW_BYTES // 2) and not notice.fatal
    assert notice.message == f"{big}: longer than 1 MiB: only its first 1 MiB is classified"
    whole = flat(read_sources(["-"], io.BufferedReader(Endless(b"good ", 8 << 20)), whole=True))
    assert len(whole[-1].text) == MAX_REVIEW_BYTES and "longer than 1 MiB" in whole[0].message


def test_a_huge_archive_member_is_read_only_to_the_cap(tmp_path):
    from conftest import make_reviews
    from sentiment_cli.data import load_dataset
    from sentiment_cli.reviews import MAX_REVIEW_BYTES

    archive = tmp_path / "data.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for i, (text, label) in enumerate(make_reviews(20)):
            data = text.encode()
            if i == 3:
                data = b"great " * ((40 << 20) // 6)  # 40 MiB that gzip makes tiny
            member = tarfile.TarInfo(f"train/{'pos' if label else 'neg'}/{i}_{8 if label else 2}.txt")
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    assert archive.stat().st_size < 1 << 20
    dataset = load_dataset(archive)
    assert max(len(text) for text in dataset.splits["train"].texts) == MAX_REVIEW_BYTES
    assert "1 review longer than 1 MiB: only the first 1 MiB of each read" in dataset.notes
