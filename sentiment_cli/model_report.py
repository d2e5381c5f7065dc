"""What ``inspect`` finds in a Keras model, as plain records (no TensorFlow here: the renderers and their tests
build these without it; :mod:`sentiment_cli.inspection` fills them from a loaded model)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .bundle import Card


@dataclass
class WeightInfo:
    name: str
    shape: list[int]
    params: int
    role: str
    """What the matrix does, e.g. "input → the 4 gates (i, f, c, o), 64 columns each"."""


@dataclass
class LayerInfo:
    name: str
    type: str
    output_shape: str
    params: int
    trainable: bool
    formula: str
    """Expression whose value is ``params``, e.g. ``128×64 + 64``; empty when there are no weights."""
    note: str = ""
    macs: int = 0
    """Multiply-adds for one review of ``ModelReport.sequence_length`` tokens."""
    weights: list[WeightInfo] = field(default_factory=list)
    children: list[LayerInfo] = field(default_factory=list)
    """The layers inside a wrapper (the forward and backward RNNs of a Bidirectional)."""


@dataclass
class ModelReport:
    name: str
    layers: list[LayerInfo]
    total_params: int
    trainable_params: int
    non_trainable_params: int
    weight_bytes: int
    source: str
    card: Card | None = None
    """The model directory's card (None for a bare ``.keras`` file)."""
    notes: list[str] = field(default_factory=list)
    sequence_length: int = 1
    """Tokens per review behind ``macs`` (the card's training length, ``input_length``, or 1 = per token)."""
    total_macs: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(replace(self, card=None))
        if self.card is None:
            data.pop("card")
        else:
            data["card"] = self.card.to_dict()
        return data
