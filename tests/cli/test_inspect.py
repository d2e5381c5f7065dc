"""``sentiment inspect`` through Typer's CliRunner: model directories and the shipped model, history, expansion."""

import json

from conftest import runner
from sentiment_cli.cli import app


def test_inspect_table_and_json(tiny_model):
    table = runner.invoke(app, ["inspect", str(tiny_model)])
    assert table.exit_code == 0, table.stderr
    assert "Bidirectional" in table.stdout and "2 × 4 × ((8+4)×4 + 4) = 416" in table.stdout
    assert "Why: dense receives 8 features from bidirectional_lstm, not 4" in table.stdout
    assert "Model card" in table.stdout
    data = json.loads(runner.invoke(app, ["inspect", str(tiny_model), "--format", "json"]).stdout)
    assert data["total_params"] == data["trainable_params"] == sum(layer["params"] for layer in data["layers"])
    assert data["card"]["model"]["embedding_dim"] == 8


def test_inspect_default_is_the_shipped_model():
    data = json.loads(runner.invoke(app, ["inspect", "--format", "json"]).stdout)
    assert data["card"]["name"] == "default" and len(data["card"]["data"]["sources"]) == 8  # the general data


def test_inspect_shows_the_training_history(tiny_model):
    result = runner.invoke(app, ["inspect", str(tiny_model)])
    assert "Training history: the BiLSTM" in result.stdout and "Training history: the n-gram bag" in result.stdout
    card = json.loads((tiny_model / "card.json").read_text())
    epochs = len(card["history"]["the BiLSTM"]["loss"])
    chart = result.stdout.split("Training history: the BiLSTM")[1]
    assert [line.split()[0] for line in chart.splitlines() if line.strip()[:1].isdigit()] == [
        str(e) for e in range(1, epochs + 1)
    ]
    assert chart.count("← kept") == 1


def test_inspect_expand_and_input_length(tiny_seed_model):
    result = runner.invoke(app, ["inspect", str(tiny_seed_model), "--expand"])
    assert result.exit_code == 0, result.stderr
    assert "· recurrent_kernel" in result.stdout and "backward_lstm" in result.stdout
    assert "mult-adds: per review of 24 tokens" in result.stdout  # the card's training length
    data = json.loads(
        runner.invoke(app, ["inspect", str(tiny_seed_model), "-f", "json", "--input-length", "10"]).stdout
    )
    assert data["sequence_length"] == 10
    assert data["layers"][1]["macs"] == 2 * 10 * 4 * 4 * (8 + 4)
