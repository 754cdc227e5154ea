"""The shared recurrent stack: cell, depth, direction, residuals, normalization and dropout."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from suite.cells import CELLS
from suite.keras import keras

MERGE_MODES = ("concat", "sum", "ave", "mul")


@dataclass(frozen=True)
class RecurrentSpec:
    """How to build a stack of recurrent layers; validated on construction."""

    cell: str = "gru"
    units: int = 64
    layers: int = 1
    bidirectional: bool = False
    merge: str = "concat"
    residual: bool = False
    layer_norm: bool = False
    dropout: float = 0.0
    recurrent_dropout: float = 0.0

    def __post_init__(self) -> None:
        CELLS.get(self.cell)  # raises ValueError naming an unknown cell
        if int(self.units) < 1:
            raise ValueError(f"units must be >= 1, got {self.units!r}")
        if int(self.layers) < 1:
            raise ValueError(f"layers must be >= 1, got {self.layers!r}")
        if self.merge not in MERGE_MODES:
            raise ValueError(f"merge must be one of {MERGE_MODES}, got {self.merge!r}")
        for name in ("dropout", "recurrent_dropout"):
            value = getattr(self, name)
            if not 0.0 <= float(value) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {value!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def output_width(self) -> int:
        """Features per step out of one layer (bidirectional concat doubles it)."""
        return self.units * (2 if self.bidirectional and self.merge == "concat" else 1)


def recurrent_layer(spec: RecurrentSpec, name: str, return_sequences: bool, return_state: bool = False):
    """One recurrent layer (wrapped in Bidirectional if asked), named ``name``."""
    layer_class = CELLS.get(spec.cell).layer_class
    layer = layer_class(
        spec.units,
        return_sequences=return_sequences,
        return_state=return_state,
        dropout=spec.dropout,
        recurrent_dropout=spec.recurrent_dropout,
        name=f"{name}_{spec.cell}" if not spec.bidirectional else f"{name}_{spec.cell}_cell",
    )
    if spec.bidirectional:
        return keras.layers.Bidirectional(layer, merge_mode=spec.merge, name=f"{name}_bi{spec.cell}")
    return layer


def recurrent_stack(inputs, spec: RecurrentSpec, name: str, return_sequences: bool,
                    initial_state=None, return_state: bool = False):
    """Stack ``spec.layers`` recurrent layers over ``inputs`` (batch, time, features).

    ``initial_state`` seeds the first layer; ``return_state`` returns ``(outputs, states)`` with the
    last layer's final states. Residual connections join layers whose widths match (every layer
    after the first); layer normalization follows each layer.
    Layer names: ``{name}_{i}_{cell}`` (or ``{name}_{i}_bi{cell}``), ``{name}_{i}_residual``, ``{name}_{i}_norm``.
    """
    x, states = inputs, []
    for index in range(spec.layers):
        last = index == spec.layers - 1
        keep_sequence = return_sequences or not last
        layer = recurrent_layer(spec, f"{name}_{index}", keep_sequence, return_state=return_state and last)
        y = layer(x, initial_state=initial_state if index == 0 else None)
        if return_state and last:
            y, states = y[0], list(y[1:])
        if spec.residual and index > 0 and keep_sequence:
            y = keras.layers.Add(name=f"{name}_{index}_residual")([x, y])
        if spec.layer_norm:
            y = keras.layers.LayerNormalization(name=f"{name}_{index}_norm")(y)
        x = y
    return (x, states) if return_state else x


def state_count(spec: RecurrentSpec) -> int:
    """How many state tensors one layer of ``spec`` carries (LSTM: h and c; bidirectional: twice)."""
    return len(CELLS.get(spec.cell).state_names) * (2 if spec.bidirectional else 1)
