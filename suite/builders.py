"""The builder registry and ``build_model``, the one entry point users, apps and tests share."""
from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field, fields
from typing import Any, Callable

from suite.keras import keras
from suite.recurrent import RecurrentSpec
from suite.registry import Registry

Builder = Callable[..., keras.Model]
BUILDERS: Registry[Builder] = Registry("topology")
RECURRENT_KEYS = tuple(f.name for f in fields(RecurrentSpec))


def register_builder(name: str) -> Callable[[Builder], Builder]:
    """Register ``fn(spec: RecurrentSpec, **topology_kwargs) -> keras.Model`` as topology ``name``."""
    return BUILDERS.register(name)


def _load_topologies() -> None:
    import suite.topologies  # noqa: F401  (each module there registers itself)


def build_model(topology: str, **kwargs: Any) -> keras.Model:
    """Build a named topology, e.g. ``build_model("many_to_one", cell="gru", units=64, input_shape=(None, 40), output_size=12)``.

    Recurrent keys (``cell, units, layers, bidirectional, merge, residual, layer_norm, dropout,
    recurrent_dropout``) go to ``RecurrentSpec``; the rest must match the builder's own arguments.
    An unknown key or a bad value raises ``ValueError`` naming it.
    """
    _load_topologies()
    builder = BUILDERS.get(topology)
    spec = RecurrentSpec(**{k: v for k, v in kwargs.items() if k in RECURRENT_KEYS})
    own = {k: v for k, v in kwargs.items() if k not in RECURRENT_KEYS}
    accepted = set(inspect.signature(builder).parameters) - {"spec"}
    unknown = sorted(set(own) - accepted)
    if unknown:
        raise ValueError(f"unknown argument(s) {unknown} for topology {topology!r}; accepted: {sorted(accepted | set(RECURRENT_KEYS))}")
    return builder(spec, **own)


def topology_names() -> list[str]:
    _load_topologies()
    return BUILDERS.names()


@dataclass
class ModelSpec:
    """A JSON-serializable description that rebuilds a model: ``build_model(topology, **kwargs)``."""

    topology: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def build(self) -> keras.Model:
        return build_model(self.topology, **self.kwargs)

    def to_dict(self) -> dict[str, Any]:
        # JSON has no tuples: normalise so a round-trip compares equal.
        return json.loads(json.dumps({"topology": self.topology, "kwargs": self.kwargs}))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelSpec":
        return cls(topology=data["topology"], kwargs=dict(data.get("kwargs", {})))
