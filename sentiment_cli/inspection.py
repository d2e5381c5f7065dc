"""What each layer outputs, how many weights it has, and why (formulas in the layer's own numbers)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from . import model as _layers  # noqa: F401  (registers our own layers, LengthGate, for safe_mode loading)
from ._tensorflow import keras
from .bundle import KERAS_FILE, read_bundle
from .errors import ModelError
from .model_report import LayerInfo, ModelReport, WeightInfo

__all__ = ["LayerInfo", "ModelReport", "WeightInfo", "check_keras_zip", "inspect_model", "load_keras"]


MAX_KERAS_INFLATED = 256 << 20
"""Most a ``.keras`` file may inflate to, all members together (the shipped model's: 9 MB; loading takes about
three times its weights in memory). Checked twice: from the zip directory before anything is inflated, then by
counting the bytes actually inflated, which are streamed in blocks into a private copy that Keras loads, so a
zip bomb, and a zip directory that lies about its sizes, are refused without ever being held in memory."""
_KERAS_MEMBERS = ("config.json", "model.weights.h5")
_BLOCK = 1 << 20


def check_keras_zip(path: Path, data: bytes | None = None) -> None:
    """Refuse, before anything is inflated, a file that is not a ``.keras`` zip or whose zip directory says it
    would inflate past the cap."""
    _keras_members(path, data)


def _keras_members(path: Path, data: bytes | None, archive: Any = None) -> list[Any]:
    import io
    import zipfile

    try:
        if archive is None:
            with zipfile.ZipFile(io.BytesIO(data) if data is not None else path) as opened:
                members = opened.infolist()
        else:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise ModelError(f"{path}: not a Keras model file (a .keras file is a zip archive; this is not one)") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read ({exc.strerror or exc})") from None
    names = {m.filename for m in members}
    missing = [name for name in _KERAS_MEMBERS if name not in names]
    if missing:
        raise ModelError(f"{path}: not a Keras model file (the zip archive has no {', '.join(missing)})")
    inflated = sum(m.file_size for m in members)
    if inflated > MAX_KERAS_INFLATED:
        raise ModelError(
            f"{path}: would inflate to {inflated:,} bytes, more than a model file may ({MAX_KERAS_INFLATED:,}); "
            "not loaded"
        )
    return members


def _inflated_copy(path: Path, data: bytes | None, copy: Path) -> None:
    """Write ``copy``: the members of the ``.keras`` zip at ``path`` (or in ``data``), inflated in blocks of
    ``_BLOCK`` bytes and stored uncompressed, each block counted against ``MAX_KERAS_INFLATED``.

    Python's ``ZipExtFile.read()`` of a whole member inflates all of its compressed bytes before it cuts the
    result to the size the zip directory gives: a member whose directory entry says 1,000 bytes can take
    gigabytes. Read in blocks, a member inflates at most its declared size (then its CRC fails if it held
    more), and the count here bounds what is actually inflated whatever the directory says. Keras then reads
    the copy, whose directory is ours and true."""
    import io
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if data is not None else path)
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise ModelError(f"{path}: not a Keras model file (a .keras file is a zip archive; this is not one)") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        with archive, zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED, allowZip64=True) as target:
            total = 0
            for member in _keras_members(path, data, archive):
                if member.is_dir():
                    continue
                with archive.open(member) as stream, target.open(member.filename, "w", force_zip64=True) as out:
                    while block := stream.read(_BLOCK):
                        total += len(block)
                        if total > MAX_KERAS_INFLATED:
                            raise ModelError(
                                f"{path}: inflates to more than {MAX_KERAS_INFLATED:,} bytes, more than a model "
                                "file may (its zip directory gives smaller sizes); not loaded"
                            )
                        out.write(block)
    except ModelError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
        # a CRC that fails (a member holding more or other bytes than its entry says), an unknown compression...
        raise ModelError(f"{path}: not a readable .keras file ({type(exc).__name__}: {_first_line(exc)})") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read ({exc.strerror or exc})") from None


def load_keras(path: Path, data: bytes | None = None) -> keras.Model:
    """Load a ``.keras`` file safely: no Lambda layers, no custom code, no compile, no zip bomb.

    Keras loads a private copy (:func:`_inflated_copy`) of ``data``, the file's bytes as already read and
    verified (a model directory's), or of the file at ``path``: a file swapped after it was hashed is never
    loaded, and what Keras inflates was counted first.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="sentiment-keras-") as folder:  # mode 0700: private
        copy = Path(folder) / "model.keras"
        _inflated_copy(path, data, copy)
        return _load_keras(copy, path)


def _load_keras(file: Path, path: Path) -> keras.Model:
    try:
        return keras.saving.load_model(file, compile=False, safe_mode=True)
    except ValueError as exc:
        if "safe_mode" in str(exc):
            raise ModelError(
                f"{path}: refused to load: it contains a Lambda layer or other code that would run on load",
                "only load such a model if you trust it, in your own Python session",
            ) from None
        reason = _innermost(exc)
        if not _custom(reason):
            raise ModelError(f"{path}: not a loadable Keras model ({_first_line(reason)})") from None
        raise ModelError(
            f"{path}: uses a custom layer or function that is not part of Keras ({_first_line(reason)})",
            "custom objects are never imported from a model file",
        ) from None
    except TypeError as exc:
        reason = _innermost(exc)
        if _custom(reason):
            raise ModelError(
                f"{path}: uses a custom layer or function that is not part of Keras ({_first_line(reason)})",
                "custom objects are never imported from a model file",
            ) from None
        raise ModelError(f"{path}: a layer's configuration is not valid ({_first_line(reason)})") from None
    except Exception as exc:  # zipfile.BadZipFile, OSError, KeyError... from inside Keras
        raise ModelError(f"{path}: not a readable .keras file ({type(exc).__name__}: {_first_line(exc)})") from None


def _custom(reason: str) -> bool:
    """Whether Keras failed because the config names a class or function Keras does not have."""
    return any(m in reason for m in ("Could not locate", "register_keras_serializable", "KerasSaveable"))


def _innermost(exc: Exception) -> str:
    """Keras nests the reason a config failed as 'Exception encountered: ...' inside each enclosing layer's."""
    text = str(exc)
    return text.rsplit("Exception encountered:", 1)[-1].strip() or text


def _first_line(exc: Exception, limit: int = 160) -> str:
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def inspect_model(path: str | os.PathLike[str] | None = None, input_length: int | None = None) -> ModelReport:
    """Layer table of a model directory, a ``.keras`` file, or the shipped model (``None``).

    ``input_length`` builds a model saved before it was built (a notebook's ``Sequential`` without
    an ``Input``) and sets the review length that multiply-adds are counted for.
    """
    card, keras_bytes = None, None
    if path is not None and Path(path).is_file():
        keras_path = Path(path)
        if keras_path.suffix != ".keras":
            raise ModelError(f"{keras_path}: expected a model directory or a .keras file")
    else:
        bundle = read_bundle(path, purpose="inspect")
        keras_path, card = bundle.keras_path, bundle.card
        keras_bytes = bundle.contents[KERAS_FILE]  # the bytes that were hashed, not the path again
    model = load_keras(keras_path, keras_bytes)
    if not model.built:
        try:
            model.build((None, input_length))
        except Exception as exc:
            raise ModelError(f"{keras_path}: the model has no input shape and could not be built ({exc})") from None
    length = input_length or (card.model.max_length if card is not None else None) or 1
    layers = [_layer_info(layer, length) for layer in model.layers]
    trainable = sum(_count(w) for w in model.trainable_weights)
    total = model.count_params()
    return ModelReport(
        name=model.name,
        layers=layers,
        total_params=total,
        trainable_params=trainable,
        non_trainable_params=total - trainable,
        weight_bytes=sum(_count(w) * np.dtype(w.dtype).itemsize for w in model.weights),
        source=str(keras_path),
        card=card,
        notes=_notes(model),
        sequence_length=length,
        total_macs=sum(layer.macs for layer in layers),
    )


def _count(weight: Any) -> int:
    n = 1
    for dim in weight.shape:
        n *= int(dim)
    return n


def _shape(layer: keras.layers.Layer) -> str:
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _layer_info(layer: keras.layers.Layer, length: int, shape: str | None = None) -> LayerInfo:
    params = layer.count_params()
    expression, value = _formula(layer)
    if value != params:  # never show a formula that does not add up; fall back to the weights
        expression, value = _weights_formula(layer)
    children = []
    if isinstance(layer, keras.layers.Bidirectional):
        children = [_layer_info(inner, length, "") for inner in (layer.forward_layer, layer.backward_layer)]
    return LayerInfo(
        name=layer.name,
        type=type(layer).__name__,
        output_shape=_shape(layer) if shape is None else shape,
        params=params,
        trainable=bool(layer.trainable),
        formula=f"{expression} = {params:,}" if layer.weights else "",
        note=_layer_note(layer),
        macs=_macs(layer, length),
        weights=[] if children else _weights(layer),
        children=children,
    )


_GATES = {
    "LSTM": "4 gates (input i, forget f, cell candidate c, output o)",
    "GRU": "3 gates (update z, reset r, candidate h)",
}


def _weights(layer: keras.layers.Layer) -> list[WeightInfo]:
    """Each weight matrix of the layer, and what it does."""
    kind = type(layer).__name__
    units = getattr(layer, "units", None)
    gates = _GATES.get(kind)
    roles = {}
    if gates:
        roles = {
            "kernel": f"input → the {gates}, {units} columns each",
            "recurrent_kernel": f"previous output → the {gates}, {units} columns each",
            "bias": f"one bias per gate unit: {gates.split(' ', 1)[0]} × {units}",
        }
        if getattr(layer, "reset_after", False):
            roles["bias"] = f"input and recurrent biases (reset_after=True): 2 × 3 × {units}"
    elif isinstance(layer, keras.layers.SimpleRNN):
        roles = {"kernel": "input → state", "recurrent_kernel": "previous state → state", "bias": "one per unit"}
    elif isinstance(layer, keras.layers.Dense):
        roles = {"kernel": "one weight per input feature and unit", "bias": "one per unit"}
    elif isinstance(layer, keras.layers.Embedding):
        roles = {"embeddings": "one row of weights per vocabulary id"}
    result = []
    for weight in layer.weights:
        name = weight.path.rsplit("/", 1)[-1] if hasattr(weight, "path") else weight.name
        shape = [int(d) for d in weight.shape]
        result.append(WeightInfo(name, shape, _count(weight), roles.get(name, "")))
    return result


def _macs(layer: keras.layers.Layer, length: int) -> int:
    """Multiply-adds for one review of ``length`` tokens (lookups, pooling and biases not counted)."""
    if isinstance(layer, keras.layers.Bidirectional):
        return _macs(layer.forward_layer, length) + _macs(layer.backward_layer, length)
    if isinstance(layer, keras.layers.RNN):
        cell = layer.cell
        fan_in, units = int(cell.kernel.shape[0]), cell.units
        blocks = 4 if isinstance(layer, keras.layers.LSTM) else 3 if isinstance(layer, keras.layers.GRU) else 1
        return length * blocks * units * (fan_in + units)
    if isinstance(layer, keras.layers.Dense):
        steps = length if _rank(layer) == 3 else 1
        return steps * int(layer.kernel.shape[0]) * layer.units
    if isinstance(layer, keras.layers.Conv1D):
        kernel = layer.kernel.shape
        return length * int(kernel[0]) * int(kernel[1]) * int(kernel[2])
    return 0


def _rank(layer: keras.layers.Layer) -> int:
    try:
        return len(layer.input.shape)
    except (AttributeError, ValueError):
        return 2


def _weights_formula(layer: keras.layers.Layer) -> tuple[str, int]:
    parts = ["×".join(str(int(d)) for d in w.shape) for w in layer.weights]
    return " + ".join(parts), sum(_count(w) for w in layer.weights)


def _formula(layer: keras.layers.Layer) -> tuple[str, int]:
    """(expression, value) for the layer types whose counts people ask about."""
    if not layer.weights:
        return "", 0
    if isinstance(layer, keras.layers.Embedding):
        rows, dim = layer.input_dim, layer.output_dim
        return f"{rows}×{dim}", rows * dim
    if isinstance(layer, keras.layers.Dense):
        fan_in = int(layer.kernel.shape[0])
        if layer.use_bias:
            return f"{fan_in}×{layer.units} + {layer.units}", fan_in * layer.units + layer.units
        return f"{fan_in}×{layer.units}", fan_in * layer.units
    if isinstance(layer, keras.layers.Bidirectional):
        forward, f_value = _formula(layer.forward_layer)
        backward, b_value = _formula(layer.backward_layer)
        if forward == backward:
            return f"2 × {forward}", 2 * f_value
        return f"({forward}) + ({backward})", f_value + b_value
    if isinstance(layer, keras.layers.RNN):
        cell = layer.cell
        units = cell.units
        fan_in = int(cell.kernel.shape[0])
        bias = cell.use_bias
        if isinstance(layer, keras.layers.LSTM):
            return f"4 × (({fan_in}+{units})×{units}{f' + {units}' if bias else ''})", 4 * (
                (fan_in + units) * units + (units if bias else 0)
            )
        if isinstance(layer, keras.layers.GRU):
            biases = (2 if cell.reset_after else 1) * units if bias else 0
            bias_text = "" if not bias else (f" + 2×{units}" if cell.reset_after else f" + {units}")
            return f"3 × (({fan_in}+{units})×{units}{bias_text})", 3 * ((fan_in + units) * units + biases)
        if isinstance(layer, keras.layers.SimpleRNN):
            return f"({fan_in}+{units})×{units}{f' + {units}' if bias else ''}", (fan_in + units) * units + (
                units if bias else 0
            )
    return _weights_formula(layer)


def _layer_note(layer: keras.layers.Layer) -> str:
    if type(layer).__name__ == "LengthGate":
        return (
            f"no weights: the branch logits z and z × g side by side, g = 1 / (1 + n / {layer.tau}), n the review's "
            "n-gram ids, so the combiner weighs the branches differently for short and long reviews"
        )
    if isinstance(layer, keras.layers.Bidirectional):
        inner = layer.forward_layer
        units = getattr(inner, "units", None)
        kind = type(inner).__name__
        sequences = " at every time step (return_sequences=True)" if getattr(inner, "return_sequences", False) else ""
        if layer.merge_mode == "concat" and units:
            return (
                f"forward and backward {kind}({units}) outputs concatenated{sequences}: "
                f"2 × {units} = {2 * units} features"
            )
        return f"forward and backward {kind} merged by {layer.merge_mode}{sequences}"
    if isinstance(layer, keras.layers.Embedding) and layer.mask_zero:
        return "id 0 is padding and is masked out of later layers"
    if isinstance(layer, keras.layers.Dense):
        activation = getattr(layer.activation, "__name__", "")
        if activation == "softmax":
            n = layer.units
            return (
                f"softmax over {n} classes: p_c = exp(z_c) / (exp(z_1) + … + exp(z_{n})), one logit z per class; "
                "the probabilities add up to 1"
            )
        if activation == "sigmoid" and layer.units == 1:
            return "sigmoid of one logit z: p = 1 / (1 + exp(-z)), the probability of the second (positive) class"
    if isinstance(layer, keras.layers.RNN):
        if layer.return_sequences:
            return (
                f"return_sequences=True: one {layer.cell.units}-vector per time step, (batch, time, "
                f"{layer.cell.units}), instead of only the last step's (batch, {layer.cell.units})"
            )
        return "returns only the last time step's output"
    return ""


def _source_layer(layer: keras.layers.Layer) -> keras.layers.Layer | None:
    """The layer whose output feeds ``layer`` (its first input), if the model records it."""
    try:
        return layer._inbound_nodes[0].input_tensors[0]._keras_history.operation
    except (AttributeError, IndexError):
        return None


def _notes(model: keras.Model) -> list[str]:
    """Explain each Dense layer's fan-in where a wrapper changed it."""
    notes = []
    for layer in model.layers:
        previous = _source_layer(layer)
        if isinstance(layer, keras.layers.Dense) and isinstance(previous, keras.layers.Bidirectional):
            fan_in = int(layer.kernel.shape[0])
            units = getattr(previous.forward_layer, "units", None)
            if units and fan_in == 2 * units:
                notes.append(
                    f"{layer.name} receives {fan_in} features from {previous.name}, not {units}: "
                    f"{fan_in}×{layer.units} + {layer.units} = {layer.count_params():,} weights "
                    f"(not {units}×{layer.units} + {layer.units} = {units * layer.units + layer.units:,})"
                )
    return notes
