"""Hostile or broken inputs: nothing runs code from a model, nothing is left half-written."""

import errno
import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import TINY_TRAIN_ARGS, make_reviews, runner, write_csv
from sentiment_cli.bundle import read_bundle, staged
from sentiment_cli.errors import ModelError, OutputError


class WritesMarker:
    """Unpickling this object writes a marker file: proof that a pickle was loaded."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path(self.marker).write_text, ("unpickled",))


def rehash(model_dir: Path, name: str) -> None:
    card = json.loads((model_dir / "card.json").read_text())
    data = (model_dir / name).read_bytes()
    card["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    (model_dir / "card.json").write_text(json.dumps(card))


def test_a_planted_pickle_is_never_loaded(tiny_model, tmp_path):
    import pickle

    from sentiment_cli.cli import app

    model = shutil.copytree(tiny_model, tmp_path / "model")
    marker = tmp_path / "marker"
    # Next to the model, and as the n-gram table (an object array is a pickle inside .npy).
    (model / "model.pkl").write_bytes(pickle.dumps(WritesMarker(str(marker))))
    rehash(model, "model.pkl")
    assert runner.invoke(app, ["predict", "-m", str(model), "-"], input="a fine film\n").exit_code == 0
    assert runner.invoke(app, ["inspect", str(model), "-f", "json"]).exit_code == 0
    assert not marker.exists()

    np.save(model / "ngrams.npy", np.array([WritesMarker(str(marker))], dtype=object), allow_pickle=True)
    rehash(model, "ngrams.npy")
    with pytest.raises(ModelError, match="unusable tokenizer"):
        read_bundle(model)
    result = runner.invoke(app, ["predict", "-m", str(model), "-"], input="a fine film\n")
    assert result.exit_code == 1 and "unusable tokenizer" in result.stderr
    assert not marker.exists()


def test_full_disk_while_writing_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(OutputError, match="no space left"), staged(out) as stage:
        (stage.path / "model.keras").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_is_refused_before_training(tmp_path, monkeypatch):
    from sentiment_cli.cli import app

    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == tmp_path else real_access(p, mode))
    data = write_csv(tmp_path / "d.csv", make_reviews(20))
    result = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert f"error: {tmp_path}: not writable" in result.stderr


@pytest.mark.slow
def test_fewer_reviews_than_a_batch_still_train(tmp_path):
    from sentiment_cli.cli import app

    data = write_csv(tmp_path / "d.csv", make_reviews(12))
    out = tmp_path / "m"
    result = runner.invoke(app, ["train", str(data), "--out", str(out), *TINY_TRAIN_ARGS, "--epochs", "1"])
    assert result.exit_code == 0, result.stderr
    assert json.loads((out / "card.json").read_text())["training"]["train_reviews"] == 11


