"""Rebuild the committed model fixtures under tests/data/: ``python tests/make_fixtures.py``.

The quick test run does not train: its tiny models are these directories, trained here by the tests' own tiny
recipe (``conftest.TINY_TRAIN_ARGS``) on the tests' own synthetic data (``conftest.imdb_like``'s folder, and
``conftest.three_class_model``'s JSON Lines file). Run this after a change to the model format or to training;
``tests/system/test_fixtures.py`` (slow) retrains and fails when the committed fixture has gone stale.

Training runs in a scratch directory with relative paths, so the cards name no machine's temporary folders.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
sys.path.insert(0, str(HERE))

from conftest import (  # noqa: E402  (conftest is found through the line above when run as a script)
    TINY_TRAIN_ARGS,
    make_reviews,
    make_three_class,
    write_folder,
    write_jsonl,
)


def _imdb_like(root: Path) -> str:
    write_folder(root / "aclImdb", {"train": make_reviews(400, seed=1), "test": make_reviews(100, seed=2)})
    return "aclImdb"


def _three_class(root: Path) -> str:
    write_jsonl(root / "tweets.jsonl", [{"tweet": t, "sentiment": y} for t, y in make_three_class(600, seed=3)])
    return "tweets.jsonl"


# name: (the data the recipe reads, the --out it is trained to (the card's name), the options added to TINY_TRAIN_ARGS)
FIXTURES: dict[str, tuple[Callable[[Path], str], str, tuple[str, ...]]] = {
    "tiny": (_imdb_like, "tiny", ()),
    "tiny-seed": (_imdb_like, "tiny-seed", ("--arch", "seed")),
    "three-class": (_three_class, "model", ("--epochs", "5")),
}


@contextlib.contextmanager
def _inside(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def train_fixture(name: str, out: Path) -> Path:
    """Train fixture ``name`` into ``out`` (which must not exist) exactly as the committed one was made."""
    from typer.testing import CliRunner

    from sentiment_cli.cli import app

    make_data, trained_to, extra = FIXTURES[name]
    with tempfile.TemporaryDirectory() as scratch, _inside(Path(scratch)):
        data = make_data(Path(scratch))
        result = CliRunner().invoke(app, ["train", data, "--out", trained_to, *TINY_TRAIN_ARGS, *extra])
        if result.exit_code != 0:
            raise RuntimeError(f"training {name} failed ({result.exit_code}):\n{result.output}")
        shutil.copytree(Path(scratch) / trained_to, out)
    return out


def main(names: list[str]) -> None:
    for name in names or list(FIXTURES):
        target = DATA / name
        if target.exists():
            shutil.rmtree(target)
        train_fixture(name, target)
        print(f"wrote {target.relative_to(HERE.parent)}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
