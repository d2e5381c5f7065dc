"""The one prediction record (sentiment_cli.records): the CSV writer, the Parquet writer, JSON lines, serve's
answers and the Arrow core give the same columns, in the same order, with the same values."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sentiment_cli.arrow import prediction_fields
from sentiment_cli.cli.writers import ParquetPredictionWriter, PredictFormat, PredictionWriter
from sentiment_cli.errors import DataError
from sentiment_cli.records import (
    check_columns,
    check_no_clash,
    predicted_columns,
    prediction_columns,
    prediction_record,
    rounded,
)
from sentiment_cli.reviews import Empty
from sentiment_cli.runtime import Prediction

TWO = ("negative", "positive")
THREE = ("negative", "neutral", "positive")


def items() -> list:
    return [
        Prediction("t.csv:2", "fine", 0.123456789, "neutral", (0.2, 0.123456789, 0.6765432), id="a1",
                   extra={"stars": "3"}),
        Empty("t.csv:3", id="a2", extra={"stars": None}),
    ]  # fmt: skip


def flattened(record: dict) -> dict:
    """A JSON record with its ``probabilities`` object as the p_CLASS columns, where it stands."""
    out = {}
    for key, value in record.items():
        if key == "probabilities":
            out |= {f"p_{name}": v for name, v in value.items()}
        else:
            out[key] = value
    return out


@pytest.mark.parametrize("classes", [TWO, THREE])
@pytest.mark.parametrize("with_id", [False, True])
def test_the_columns_are_those_of_the_csv_parquet_and_json_writers(tmp_path, classes, with_id):
    keep = ("stars",)
    names = [c.name for c in prediction_columns(classes, with_id=with_id, keep=keep)]
    expected = ["source", *(["id"] if with_id else []), "label", "probability"]
    expected += [f"p_{c}" for c in classes] if len(classes) > 2 else []
    assert names == [*expected, "stars"]
    predictions = [p if len(classes) > 2 else Prediction(p.source, "x", 0.7, "positive", (0.3, 0.7), id="a1",
                                                         extra=p.extra) for p in items()]  # fmt: skip

    stream = io.StringIO()
    PredictionWriter(PredictFormat.csv, classes, with_id=with_id, keep=keep, stream=stream).write(predictions)
    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    assert rows[0] == names

    stream = io.StringIO()
    PredictionWriter(PredictFormat.jsonl, classes, with_id=with_id, keep=keep, stream=stream).write(predictions)
    records = [flattened(json.loads(line)) for line in stream.getvalue().splitlines()]
    assert [list(r) for r in records] == [names, names]

    path = tmp_path / "p.parquet"
    writer = ParquetPredictionWriter(str(path), classes, with_id=with_id, keep=keep)
    writer.write(predictions)
    writer.close()
    table = pq.read_table(path)
    assert table.column_names == names

    # the same values in every format: probabilities rounded once, to six decimals
    parquet = table.to_pylist()
    assert parquet == records
    for row, record in zip(rows[1:], records, strict=True):
        assert row == ["" if v is None else f"{v:.6f}" if isinstance(v, float) else str(v) for v in record.values()]
    if len(classes) > 2:
        assert records[0]["probability"] == 0.123457 and records[0]["p_positive"] == 0.676543

    # what the Arrow core (and so Spark) adds to a table: the predicted columns, in the same order
    assert [f.name for f in prediction_fields(classes)] == [c.name for c in predicted_columns(classes)]
    assert [c.name for c in predicted_columns(classes)] == [n for n in names if n not in ("source", "id", "stars")]


def test_serve_answers_the_json_lines_record(three_class_model: Path):
    """sentiment serve's /predict gives, for each text, the record JSON lines output gives (with ids: 'id')."""
    pytest.importorskip("starlette")
    from sentiment_cli import load
    from sentiment_cli.serving import Settings
    from sentiment_cli.serving.app import create_app

    model = load(three_class_model)
    app = create_app(Settings(model=str(three_class_model)), model)
    texts = ["A wonderful film.", "qqzxv wwkkj"]
    answer = asyncio.run(post(app, "/predict", {"texts": texts, "ids": [7, "b"]}))
    served = answer["predictions"]

    from sentiment_cli.serving.batcher import _Item

    ids = [7, "b"]
    requested = [_Item(f"<request>:{i + 1}", text, ids[i]) for i, text in enumerate(texts)]
    predictions = model.predictor.predictions(requested, model.predictor.probabilities(texts))
    stream = io.StringIO()
    PredictionWriter(PredictFormat.jsonl, model.labels, with_id=True, stream=stream).write(predictions)
    written = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert served == written
    columns = [c.name for c in prediction_columns(model.labels, with_id=True)]
    assert [list(flattened(r)) for r in served] == [columns, columns]
    assert [r["id"] for r in served] == ids and served[0]["source"] == "<request>:1"


async def post(app, path: str, body: dict) -> dict:
    """One POST through the ASGI application, with its lifespan started and stopped around it."""
    sent: list[dict] = []
    payload = json.dumps(body).encode()

    answered = asyncio.Event()
    bodies = [{"type": "http.request", "body": payload, "more_body": False}]

    async def receive() -> dict:
        if bodies:
            return bodies.pop()
        await answered.wait()  # the client stays connected until the answer is sent
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            answered.set()

    scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
             "scheme": "http", "server": ("test", 80), "client": ("test", 1), "root_path": "", "http_version": "1.1",
             "app": app}  # fmt: skip
    async with app.router.lifespan_context(app):
        await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 200, sent
    return json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))


def test_rounding_is_done_once_and_the_same_everywhere():
    assert rounded(0.1234565) == round(0.1234565, 6) and rounded(None) is None
    p = Prediction("f", "x", 0.99999951, "positive", (4.9e-7, 0.99999951))
    assert prediction_record(p, TWO)["probability"] == 1.0
    assert prediction_record(p, THREE[:2])["probability"] == 1.0


def test_a_missing_or_clashing_column_is_a_data_error():
    with pytest.raises(DataError, match=r"no text column 'review' \(columns: id, text\)"):
        check_columns(["id", "text"], "review")
    with pytest.raises(DataError, match="no id column 'key'"):
        check_columns(["id", "text"], "text", "key")
    check_columns(["id", "text"], "text", "id")
    with pytest.raises(DataError, match="input column label, probability would be overwritten"):
        check_no_clash(["text", "probability", "label"], TWO)
    with pytest.raises(DataError, match="p_neutral would be overwritten"):
        check_no_clash(["p_neutral"], THREE)
    check_no_clash(["p_neutral", "source", "id"], TWO)  # not columns a two-class model adds


def test_the_commands_make_their_writers_with_open_writer(tmp_path):
    """predict and evaluate --predictions get their writers from cli.writers.open_writer, not each its own copy."""
    import contextlib

    import sentiment_cli.cli
    from sentiment_cli.cli.writers import open_writer

    cli = Path(sentiment_cli.cli.__file__).parent
    made = {p.name for p in cli.glob("*.py") if p.name != "writers.py" and "PredictionWriter(" in p.read_text()}
    assert made == set(), made
    users = {p.name for p in cli.glob("*.py") if "open_writer(" in p.read_text()}
    assert users == {"writers.py", "predict.py", "evaluate.py"}
    with contextlib.ExitStack() as closing:
        csv_writer = open_writer(tmp_path / "p.csv", "csv", TWO, closing, keep=("stars",))
        csv_writer.write(items()[1:])
        parquet = open_writer(tmp_path / "p.parquet", "parquet", THREE, closing, with_id=True)
        parquet.write(items())
    assert (tmp_path / "p.csv").read_text() == "source,label,probability,stars\nt.csv:3,,,\n"
    assert pq.read_table(tmp_path / "p.parquet").column_names == [
        "source", "id", "label", "probability", "p_negative", "p_neutral", "p_positive"
    ]
