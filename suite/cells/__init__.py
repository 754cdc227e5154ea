"""Recurrent cell kinds: the name users pass as ``cell=`` and the Keras layer behind it.

Each module in this package registers its cells on import, so a new cell is one new file here.
"""
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


def cell_kind_of(layer: keras.layers.Layer) -> CellKind | None:
    """The registered kind of a recurrent layer, or None for any other layer."""
    for name in CELLS:
        kind = CELLS.get(name)
        if type(layer) is kind.layer_class:
            return kind
    return None


def _load_cell_modules() -> None:
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_load_cell_modules()
