import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest

from conftest import SHARED_ARCHIVE, make_reviews, write_csv, write_folder
from sentiment_cli.data import fetch_dataset, load_dataset
from sentiment_cli.errors import DataError, DownloadError

ROWS = make_reviews(10)


def labels_of(dataset, split="train"):
    return dataset.split(split).labels.tolist()


def test_folder_with_train_and_test_splits(tmp_path):
    root = write_folder(tmp_path / "aclImdb", {"train": ROWS, "test": ROWS[:4]})
    (root / "train" / "unsup").mkdir()
    (root / "train" / "unsup" / "0_0.txt").write_text("unlabelled, ignored")
    (root / "README").write_text("not a review")
    dataset = load_dataset(tmp_path)  # a lone wrapper folder is descended into
    assert {name: len(split) for name, split in dataset.splits.items()} == {"train": 10, "test": 4}
    assert sorted(labels_of(dataset)) == sorted(label for _, label in ROWS)
    assert sorted(dataset.split("train").texts) == sorted(text for text, _ in ROWS)
    assert dataset.fingerprint["files"] == 14
    assert dataset.fingerprint["kind"] == "folder"


def test_folder_with_only_pos_and_neg_is_a_train_split(tmp_path):
    for i, (text, label) in enumerate(ROWS):
        folder = tmp_path / ("pos" if label else "neg")
        folder.mkdir(exist_ok=True)
        (folder / f"{i}.txt").write_text(text)
    dataset = load_dataset(tmp_path)
    assert list(dataset.splits) == ["train"]
    assert len(dataset.split("train")) == 10
    with pytest.raises(DataError, match="no 'test' split"):
        dataset.split("test")


def test_folder_without_pos_neg_is_refused(tmp_path):
    (tmp_path / "reviews").mkdir()
    (tmp_path / "reviews" / "a.txt").write_text("hello")
    with pytest.raises(DataError, match="no reviews found"):
        load_dataset(tmp_path)


def make_archive(path: Path, rows, extra=()) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for i, (text, label) in enumerate(rows):
            data = text.encode()
            info = tarfile.TarInfo(f"aclImdb/train/{'pos' if label else 'neg'}/{i}_7.txt")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for info, data in extra:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def test_archive_is_read_without_extracting(tmp_path):
    path = make_archive(tmp_path / "data.tar.gz", ROWS)
    dataset = load_dataset(path)
    assert len(dataset.split("train")) == 10
    assert sorted(labels_of(dataset)) == sorted(label for _, label in ROWS)
    assert dataset.fingerprint["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_archive_with_hostile_members_writes_nothing_and_skips_them(tmp_path):
    evil = b"pwned"
    traversal = tarfile.TarInfo("../../evil/train/pos/1_9.txt")
    traversal.size = len(evil)
    absolute = tarfile.TarInfo(str(tmp_path / "abs" / "pos" / "2_9.txt"))
    absolute.size = len(evil)
    link = tarfile.TarInfo("aclImdb/train/pos/3_9.txt")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    path = make_archive(tmp_path / "evil.tar.gz", ROWS, [(traversal, evil), (absolute, evil), (link, None)])
    before = sorted(tmp_path.parent.rglob("*"))
    texts = load_dataset(path).split("train").texts
    # Regular members are only ever read as review text, whatever their path says; the link is skipped.
    assert len(texts) == 12 and texts.count("pwned") == 2
    assert not any("root:" in t for t in texts)
    assert sorted(tmp_path.parent.rglob("*")) == before  # nothing was written anywhere


@pytest.mark.parametrize("content", [b"not an archive at all", b""])
def test_corrupt_archive(tmp_path, content):
    path = tmp_path / "broken.tar.gz"
    path.write_bytes(content)
    with pytest.raises(DataError, match="not a readable archive"):
        load_dataset(path)


def test_truncated_archive(tmp_path):
    good = make_archive(tmp_path / "good.tar.gz", make_reviews(200)).read_bytes()
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match="truncated or corrupt"):
        load_dataset(path)


@pytest.mark.parametrize(
    ("header", "labels"),
    [
        (("text", "label"), ["0", "1"]),
        (("review", "sentiment"), ["negative", "positive"]),
        (("Review", "Sentiment"), ["NEG", " pos "]),
    ],
)
def test_csv_columns_and_label_spellings(tmp_path, header, labels):
    rows = [(text, labels[label]) for text, label in ROWS]
    dataset = load_dataset(write_csv(tmp_path / "d.csv", rows, header))
    assert labels_of(dataset) == [label for _, label in ROWS]
    assert dataset.split("train").texts == [text for text, _ in ROWS]


def test_tsv_and_gzipped_csv(tmp_path):
    tsv = write_csv(tmp_path / "d.tsv", ROWS, delimiter="\t")
    assert labels_of(load_dataset(tsv)) == [label for _, label in ROWS]
    plain = write_csv(tmp_path / "d.csv", ROWS)
    gz = tmp_path / "d.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    assert load_dataset(gz).split("train").texts == [text for text, _ in ROWS]


def test_jsonl_plain_and_gzipped_with_split_column(tmp_path):
    lines = [
        json.dumps({"text": t, "label": y, "split": "test" if i < 3 else "train"}) for i, (t, y) in enumerate(ROWS)
    ]
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(lines) + "\n\n")
    dataset = load_dataset(path)
    assert len(dataset.split("test")) == 3 and len(dataset.split("train")) == 7
    gz = tmp_path / "d.jsonl.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert labels_of(load_dataset(gz), "test") == [label for _, label in ROWS[:3]]


def test_missing_columns_are_listed(tmp_path):
    path = write_csv(tmp_path / "d.csv", ROWS, header=("body", "stars"))
    with pytest.raises(DataError, match=r"text column.*label column.*columns found: 'body', 'stars'"):
        load_dataset(path)


def test_non_binary_labels_are_listed(tmp_path):
    path = write_csv(tmp_path / "d.csv", [("a", "1"), ("b", "neutral"), ("c", "5"), ("d", "")])
    with pytest.raises(DataError, match=r"found 'neutral', '5', \(empty\) \(first at line 3\)"):
        load_dataset(path)


def test_invalid_jsonl_names_the_line(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "a", "label": 1}\n{oops\n')
    with pytest.raises(DataError, match=r"d.jsonl:2: not valid JSON"):
        load_dataset(path)


def test_unknown_format_and_missing_path(tmp_path):
    (tmp_path / "d.parquet").write_bytes(b"x")
    with pytest.raises(DataError, match="unknown data format"):
        load_dataset(tmp_path / "d.parquet")
    with pytest.raises(DataError, match="no such file"):
        load_dataset(tmp_path / "nope.csv")


# -- download -----------------------------------------------------------------------------


def test_download_from_file_url_is_verified_cached_and_reused(tmp_path):
    source = make_archive(tmp_path / "imdb.tar.gz", ROWS)
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    seen = []
    path = fetch_dataset(source.as_uri(), sha, cache=tmp_path / "cache", progress=lambda d, t: seen.append((d, t)))
    assert path.read_bytes() == source.read_bytes()
    assert seen[-1][0] == source.stat().st_size
    assert len(load_dataset(path).split("train")) == 10
    source.unlink()  # the cached copy is reused; the URL is not read again
    assert fetch_dataset(source.as_uri(), sha, cache=tmp_path / "cache") == path


def test_download_checksum_mismatch_is_deleted(tmp_path):
    source = make_archive(tmp_path / "imdb.tar.gz", ROWS)
    cache = tmp_path / "cache"
    with pytest.raises(DownloadError, match="checksum mismatch"):
        fetch_dataset(source.as_uri(), "0" * 64, cache=cache)
    assert [p for p in cache.rglob("*") if p.is_file()] == []


def test_download_reads_url_and_checksum_from_the_environment(tmp_path, monkeypatch):
    source = make_archive(tmp_path / "imdb.tar.gz", ROWS)
    monkeypatch.setenv("SENTIMENT_DATA_URL", source.as_uri())
    monkeypatch.setenv("SENTIMENT_DATA_SHA256", hashlib.sha256(source.read_bytes()).hexdigest())
    monkeypatch.setenv("SENTIMENT_CLI_CACHE", str(tmp_path / "envcache"))
    path = fetch_dataset()
    assert path.is_relative_to(tmp_path / "envcache")


def test_download_failure_says_how_to_pass_a_local_copy(tmp_path):
    with pytest.raises(DownloadError) as info:
        fetch_dataset("http://127.0.0.1:9/aclImdb_v1.tar.gz", cache=tmp_path)
    assert "cannot download" in info.value.message
    assert "sentiment train PATH/aclImdb_v1.tar.gz" in info.value.hint
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.skipif(not SHARED_ARCHIVE.is_file(), reason="../shared IMDB archive not present")
def test_the_shared_imdb_archive_has_the_standard_splits():
    dataset = load_dataset(SHARED_ARCHIVE)
    assert {k: len(v) for k, v in dataset.splits.items()} == {"train": 25_000, "test": 25_000}
    assert np.bincount(dataset.split("test").labels).tolist() == [12_500, 12_500]
