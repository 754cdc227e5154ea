"""Recurrent cell kinds: the name users pass as ``cell=`` and the Keras layer behind it."""
from __future__ import annotations

from dataclasses import dataclass

from suite.keras import keras
from suite.registry import Registry


@dataclass(frozen=True)
class CellKind:
    name: str
    layer_class: type
    state_names: tuple[str, ...]  # one Keras state per name, e.g. LSTM carries (h, c)


CELLS: Registry[CellKind] = Registry("cell")


def register_cell(kind: CellKind) -> CellKind:
    return CELLS.register(kind.name)(kind)


register_cell(CellKind("simple", keras.layers.SimpleRNN, ("h",)))
register_cell(CellKind("gru", keras.layers.GRU, ("h",)))
register_cell(CellKind("lstm", keras.layers.LSTM, ("h", "c")))

RECURRENT_LAYER_CLASSES = tuple(CELLS.get(name).layer_class for name in CELLS)


def cell_kind_of(layer: keras.layers.Layer) -> CellKind | None:
    """The registered kind of a recurrent layer, or None for any other layer."""
    for name in CELLS:
        kind = CELLS.get(name)
        if type(layer) is kind.layer_class:
            return kind
    return None
