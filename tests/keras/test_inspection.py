import json

import pytest

from sentiment_cli._tensorflow import keras
from sentiment_cli.config import ModelConfig
from sentiment_cli.errors import ModelError
from sentiment_cli.inspection import inspect_model
from sentiment_cli.model import build_model


@pytest.fixture(scope="module")
def seed_keras_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("seed") / "seed.keras"
    build_model(ModelConfig(arch="seed", vocab_size=10_000)).save(path)
    return path


def test_seed_architecture_counts_and_formulas(seed_keras_file):
    report = inspect_model(seed_keras_file)
    model = keras.saving.load_model(seed_keras_file, safe_mode=True, compile=False)
    assert [layer.params for layer in report.layers] == [layer.count_params() for layer in model.layers]
    assert [layer.params for layer in report.layers] == [640_064, 66_048, 8_256, 65]
    assert report.total_params == 714_433 == model.count_params()
    assert report.trainable_params == 714_433 and report.non_trainable_params == 0
    assert report.weight_bytes == 714_433 * 4
    assert [layer.formula for layer in report.layers] == [
        "10001×64 = 640,064",
        "2 × 4 × ((64+64)×64 + 64) = 66,048",
        "128×64 + 64 = 8,256",
        "64×1 + 1 = 65",
    ]
    assert [layer.output_shape for layer in report.layers] == [
        "(None, None, 64)",
        "(None, 128)",
        "(None, 64)",
        "(None, 1)",
    ]
    assert any("128×64 + 64 = 8,256" in note and "64×64 + 64" in note for note in report.notes)
    assert report.card is None and "card" not in report.to_dict()


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        (keras.layers.Bidirectional(keras.layers.GRU(8)), "2 × 3 × ((16+8)×8 + 2×8)"),
        (keras.layers.GRU(8, reset_after=False), "3 × ((16+8)×8 + 8)"),
        (keras.layers.SimpleRNN(8), "(16+8)×8 + 8"),
        (keras.layers.Conv1D(4, 3), "3×16×4 + 4"),
    ],
)
def test_other_layers_have_formulas_that_add_up(tmp_path, layer, expected):
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(50, 16), layer])
    path = tmp_path / "m.keras"
    model.save(path)
    info = inspect_model(path).layers[1]
    assert info.params == layer.count_params()
    assert info.formula == f"{expected} = {layer.count_params():,}"


def test_unbuilt_notebook_model_is_built(tmp_path):
    model = keras.Sequential([keras.layers.Embedding(100, 8), keras.layers.LSTM(4), keras.layers.Dense(1)])
    path = tmp_path / "unbuilt.keras"
    model.save(path)
    report = inspect_model(path)
    assert report.total_params == 100 * 8 + 4 * ((8 + 4) * 4 + 4) + 5


def test_lambda_layer_is_refused_not_run(tmp_path):
    marker = tmp_path / "ran"

    # A real lambda (serialized as bytecode) with no closure, that writes the marker when called.
    touch_marker = eval(f"lambda x: (open({str(marker)!r}, 'w').write('ran'), x * 2)[1]")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(touch_marker)])
    path = tmp_path / "lambda.keras"
    model.save(path)
    marker.unlink()
    with pytest.raises(ModelError, match="refused to load"):
        inspect_model(path)
    assert not marker.exists()
    # The control: loading it unsafely does run the file's code, so the check above is meaningful.
    keras.saving.load_model(path, safe_mode=False, compile=False)
    assert marker.exists()


def test_not_a_keras_file(tmp_path):
    (tmp_path / "junk.keras").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="junk.keras"):
        inspect_model(tmp_path / "junk.keras")
    (tmp_path / "weights.h5").write_bytes(b"x")
    with pytest.raises(ModelError, match="expected a model directory or a .keras file"):
        inspect_model(tmp_path / "weights.h5")


def test_model_directory_carries_its_card(tiny_model):
    report = inspect_model(tiny_model)
    assert report.card.model.lstm_units == 4
    data = json.loads(json.dumps(report.to_dict()))
    assert data["card"] == json.loads((tiny_model / "card.json").read_text())  # inspect --format json: the card
    assert set(data["layers"][0]) >= {"name", "type", "output_shape", "params", "trainable"}
    assert data["total_params"] == sum(layer["params"] for layer in data["layers"])


def save(model, tmp_path, name="m.keras"):
    path = tmp_path / name
    model.save(path)
    return path


def test_expand_shows_both_directions_and_their_matrices(seed_keras_file):
    report = inspect_model(seed_keras_file, input_length=256)
    bilstm = report.layers[1]
    forward, backward = bilstm.children
    assert forward.params == backward.params == 33_024 and forward.formula == "4 × ((64+64)×64 + 64) = 33,024"
    assert [(w.name, w.shape) for w in forward.weights] == [
        ("kernel", [64, 256]), ("recurrent_kernel", [64, 256]), ("bias", [256])
    ]  # fmt: skip
    assert "forget f" in forward.weights[0].role and "64 columns each" in forward.weights[0].role
    assert sum(w.params for w in forward.weights) == forward.params
    # multiply-adds for a 256-token review: each direction 256 × 4 × 64 × (64 + 64)
    assert bilstm.macs == 2 * 256 * 4 * 64 * 128
    assert report.layers[2].macs == 128 * 64 and report.layers[0].macs == 0
    assert report.total_macs == sum(layer.macs for layer in report.layers)


def test_gru_variant_counts_match_keras(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(1001, 32),
            keras.layers.Bidirectional(keras.layers.GRU(16)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    report = inspect_model(save(model, tmp_path), input_length=100)
    assert [layer.params for layer in report.layers] == [layer.count_params() for layer in model.layers]
    assert report.total_params == model.count_params()
    gru = report.layers[1]
    assert [child.params for child in gru.children] == [model.layers[1].forward_layer.count_params()] * 2
    assert "update z" in gru.children[0].weights[0].role
    assert gru.children[0].weights[2].shape == [2, 48] and "reset_after" in gru.children[0].weights[2].role
    assert gru.macs == 2 * 100 * 3 * 16 * (32 + 16)
    assert report.layers[2].formula == "32×8 + 8 = 264"


def test_return_sequences_and_pooling_variant(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(500, 16),
            keras.layers.Bidirectional(keras.layers.LSTM(8, return_sequences=True)),
            keras.layers.GlobalMaxPooling1D(),
            keras.layers.Dense(4),
        ]
    )
    report = inspect_model(save(model, tmp_path), input_length=50)
    assert [layer.params for layer in report.layers] == [layer.count_params() for layer in model.layers]
    bilstm = report.layers[1]
    assert bilstm.output_shape == "(None, None, 16)"  # the time axis is kept
    assert "return_sequences=True" in bilstm.note and "every time step" in bilstm.note
    assert report.layers[2].output_shape == "(None, 16)" and report.layers[2].macs == 0
    assert report.layers[3].macs == 16 * 4  # after pooling: once per review, not per token


def test_unbuilt_model_is_built_at_the_given_length(tmp_path):
    model = keras.Sequential([keras.layers.Embedding(100, 8), keras.layers.LSTM(4), keras.layers.Dense(1)])
    report = inspect_model(save(model, tmp_path, "unbuilt.keras"), input_length=30)
    assert report.layers[0].output_shape == "(None, 30, 8)"
    assert report.sequence_length == 30 and report.layers[1].macs == 30 * 4 * 4 * (8 + 4)


def test_json_carries_expansion_and_mult_adds(seed_keras_file):
    data = json.loads(json.dumps(inspect_model(seed_keras_file).to_dict()))
    assert data["sequence_length"] == 1  # no card, no --input-length: per token
    assert data["layers"][1]["children"][0]["weights"][0]["shape"] == [64, 256]
    assert data["total_macs"] == 2 * 4 * 64 * 128 + 128 * 64 + 64


def test_custom_layer_is_refused_with_a_reason(tmp_path):
    @keras.saving.register_keras_serializable(package="someone_elses")
    class Doubler(keras.layers.Layer):
        def call(self, x):
            return x * 2

    path = save(keras.Sequential([keras.Input((3,)), Doubler()]), tmp_path, "custom.keras")
    del keras.saving.get_custom_objects()["someone_elses>Doubler"]  # as on a machine without their code
    with pytest.raises(ModelError, match="custom layer or function that is not part of Keras"):
        inspect_model(path)


@pytest.mark.slow
def test_inspect_the_shipped_model_in_a_fresh_process():
    """A fresh interpreter has not imported sentiment_cli.model: inspect must register our layers itself."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "sentiment_cli", "inspect", "--format", "json"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    import json

    layers = {layer["name"]: layer for layer in json.loads(result.stdout)["layers"]}
    assert layers["length_gate"]["params"] == 0 and "short and long" in layers["length_gate"]["note"]
    assert layers["positive_probability"]["params"] == 4 + 1  # z and z·g of two branches, and a bias
