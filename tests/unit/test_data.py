import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest

from conftest import SHARED_ARCHIVE, make_reviews, write_csv, write_folder
from sentiment_cli.data import TableOptions, load_dataset
from sentiment_cli.download import fetch_dataset
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
    with pytest.raises(DataError) as info:
        load_dataset(path, TableOptions(text_column="review"))
    assert info.value.message == f"{path}: no text column 'review' (columns: body, stars)"


def test_columns_are_chosen_by_name_and_said(tmp_path):
    path = write_csv(tmp_path / "d.csv", [(i, t, y) for i, (t, y) in enumerate(ROWS)], header=("id", "Body", "Stars"))
    dataset = load_dataset(path)
    assert dataset.columns == {"text": "Body", "label": "Stars", "id": "id", "guessed": "text, label, id"}
    assert dataset.notes[0] == (
        f"read {path} as CSV with a header row; text column 'Body', label column 'Stars', id column 'id' "
        "(chosen automatically: text, label, id)"
    )
    assert dataset.split("train").ids == [str(i) for i in range(len(ROWS))]


def test_three_classes_and_rows_without_label_are_counted(tmp_path):
    rows = [("a b", "negative"), ("c d", "neutral"), ("e f", "positive"), ("g h", ""), ("i j", "Neutral")]
    path = write_csv(tmp_path / "d.csv", rows)
    dataset = load_dataset(path)
    assert dataset.classes == ("negative", "neutral", "positive")
    assert labels_of(dataset) == [0, 1, 2, 1]
    assert dataset.messages() == ["skipped 1 row without a label: line 5"]
    assert dataset.report()["rows_skipped"] == {"without a label": 1}
    assert dataset.report()["rows_read"] == 5 and dataset.report()["rows_used"] == 4


def test_star_ratings_with_a_label_map_count_dropped_rows(tmp_path):
    rows = [(f"review {i}", stars) for i, stars in enumerate([1, 2, 3, 4, 5, 3, 5, 1])]
    path = write_csv(tmp_path / "stars.csv", rows, header=("text", "rating"))
    dataset = load_dataset(path, TableOptions(label_map="1-2=negative,3=drop,4-5=positive"))
    assert dataset.classes == ("negative", "positive")
    assert labels_of(dataset) == [0, 0, 1, 1, 1, 0]
    assert dataset.messages() == ["skipped 2 rows whose label the label map drops: lines 4, 7"]
    as_classes = load_dataset(path)  # without a map, each rating is a class
    assert as_classes.classes == ("1", "2", "3", "4", "5")


def test_a_label_map_naming_positive_first_keeps_positive_the_second_class(tmp_path):
    rows = [(f"review {i}", stars) for i, stars in enumerate([1, 5, 2, 4])]
    path = write_csv(tmp_path / "stars.csv", rows, header=("text", "rating"))
    dataset = load_dataset(path, TableOptions(label_map="4-5=positive,1-2=negative"))
    assert dataset.classes == ("negative", "positive")
    assert labels_of(dataset) == [0, 1, 0, 1]


def test_a_header_of_names_over_label_values_is_detected(tmp_path):
    path = tmp_path / "moods.csv"
    path.write_text("Tweet Text,Mood\nI love it,happy\nso sad today,sad\nwhat a day,happy\n")
    dataset = load_dataset(path)
    assert dataset.classes == ("happy", "sad") and dataset.columns["text"] == "Tweet Text"
    assert labels_of(dataset) == [0, 1, 0]


def test_a_quoted_review_with_a_line_that_looks_like_a_row_is_one_record(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text('text,label\n"Great film.\nActing, 9\nWould watch again",1\nawful,0\n')
    dataset = load_dataset(path)
    assert dataset.split("train").texts == ["Great film.\nActing, 9\nWould watch again", "awful"]
    assert dataset.messages() == []


def test_split_column_values(tmp_path):
    rows = [
        {"text": t, "label": y, "split": s}
        for (t, y), s in zip(ROWS, ["Train", "dev", "VALID", "test"] * 3, strict=False)
    ]
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows[:10]))
    dataset = load_dataset(path)
    assert dataset.sizes() == {"train": 3, "validation": 5, "test": 2}
    path.write_text(json.dumps({"text": "a", "label": 1, "split": "holdout"}) + "\n")
    with pytest.raises(DataError, match="split must be train, validation \\(or dev\\) or test, got 'holdout'"):
        load_dataset(path)


def test_nsmc_layout_txt_with_stray_quotes_reads_every_row(tmp_path):
    """NSMC's ratings_train.txt: tab-separated, header id/document/label, quotes are text."""
    lines = ["id\tdocument\tlabel"]
    texts = ["아 더빙.. 진짜 짜증나네요 목소리", '"재밌다', '흠...포스터보고 초딩영화줄..."오버연기', "", '최고 "명작"']
    for i, text in enumerate(texts):
        lines.append(f"{9000 + i}\t{text}\t{i % 2}")
    path = tmp_path / "ratings_train.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dataset = load_dataset(path)
    assert dataset.split("train").texts == [t for t in texts if t]
    assert dataset.split("train").ids == ["9000", "9001", "9002", "9004"]
    assert dataset.columns["text"] == "document" and dataset.columns["id"] == "id"
    assert dataset.messages() == ["skipped 1 row without text: line 5"]
    assert dataset.notes[0].startswith(f"read {path} as TSV with a header row; text column 'document'")


def test_malformed_rows_are_named_and_counted(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text("text\tlabel\ngood one\t1\nbroken row without a label\nbad one\t0\nx\t1\textra\n")
    dataset = load_dataset(path)
    assert dataset.split("train").texts == ["good one", "bad one"]
    assert dataset.messages() == [
        "skipped 2 rows that could not be parsed: lines 3, 5 (first: line 3: 1 field, expected 2)"
    ]


def test_binary_labels_in_any_spelling(tmp_path):
    for spelling in (("0", "4"), ("-1", "1"), ("false", "true"), ("0.0", "1.0"), ("NEG", " Pos ")):
        rows = [(text, spelling[label]) for text, label in ROWS]
        dataset = load_dataset(write_csv(tmp_path / "d.csv", rows))
        assert dataset.classes == ("negative", "positive"), spelling
        assert labels_of(dataset) == [label for _, label in ROWS], spelling


def test_parquet_table(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"content": [t for t, _ in ROWS], "polarity": [y for _, y in ROWS]}), path)
    dataset = load_dataset(path)
    assert dataset.split("train").texts == [t for t, _ in ROWS]
    assert labels_of(dataset) == [y for _, y in ROWS]


def test_labels_are_mapped_onto_a_models_classes(tmp_path):
    rows = [("a", "pos"), ("b", "neg")]
    dataset = load_dataset(write_csv(tmp_path / "d.csv", rows), classes=("negative", "positive"))
    assert labels_of(dataset) == [1, 0]
    with pytest.raises(DataError, match="neutral"):
        load_dataset(write_csv(tmp_path / "e.csv", [("a", "neutral"), ("b", "neg")]), classes=("negative", "positive"))


def test_aclimdb_ratings_as_labels(tmp_path):
    root = write_folder(tmp_path / "aclImdb", {"train": ROWS})
    dataset = load_dataset(root, TableOptions(label_column="rating"))
    assert dataset.classes == ("2", "8")  # conftest names files ID_8.txt (pos) and ID_2.txt (neg)
    with pytest.raises(DataError, match="does not apply to an aclImdb folder"):
        load_dataset(root, TableOptions(label_column="stars"))


def test_invalid_jsonl_names_the_line(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "a", "label": 1}\n{oops\n{"text": "b", "label": 0}\n')
    dataset = load_dataset(path)
    assert dataset.split("train").texts == ["a", "b"]
    (message,) = dataset.messages()
    assert message.startswith("skipped 1 row that could not be parsed: line 2 (first: line 2: not valid JSON")


def test_unknown_format_and_missing_path(tmp_path):
    (tmp_path / "d.parquet").write_bytes(b"x")
    with pytest.raises(DataError, match="not a readable Parquet file"):
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


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_ARCHIVE.is_file(), reason="../shared IMDB archive not present")
def test_the_shared_imdb_archive_has_the_standard_splits():
    dataset = load_dataset(SHARED_ARCHIVE)
    assert {k: len(v) for k, v in dataset.splits.items()} == {"train": 25_000, "test": 25_000}
    assert np.bincount(dataset.split("test").labels).tolist() == [12_500, 12_500]
