"""Config dataclasses with named presets and validated ``--set key=value`` overrides (melody_rnn style)."""
from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any, Mapping, Sequence, TypeVar

C = TypeVar("C")


def parse_override(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise ValueError(f"override {text!r} must look like key=value")
    key, value = text.split("=", 1)
    return key.strip(), value.strip()


def apply_overrides(config: C, overrides: Sequence[str]) -> C:
    """Return a copy of dataclass ``config`` with ``key=value`` strings applied.

    Values are parsed by the field's type; an unknown key or a value that does not parse raises
    ``ValueError`` naming it. The dataclass's ``__post_init__`` then validates ranges.
    """
    field_types = typing.get_type_hints(type(config))
    changes: dict[str, Any] = {}
    for text in overrides:
        key, raw = parse_override(text)
        if key not in field_types:
            raise ValueError(f"unknown config key {key!r}; known keys: {sorted(field_types)}")
        changes[key] = parse_value(key, raw, field_types[key])
    return dataclasses.replace(config, **changes)


def parse_value(key: str, raw: str, annotation: Any) -> Any:
    """Parse ``raw`` as ``annotation`` (bool, int, float, str, Optional[...], tuple[int, ...])."""
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if raw.lower() in ("none", "null", ""):
            return None
        return parse_value(key, raw, args[0])
    if origin in (tuple, list):
        items = json.loads(raw) if raw.startswith("[") else [p for p in raw.split(",") if p]
        return tuple(parse_value(key, str(item), args[0]) for item in items)
    try:
        if annotation is bool:
            lowered = raw.lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return lowered in ("true", "1", "yes")
        if annotation in (int, float, str):
            return annotation(raw)
    except ValueError:
        raise ValueError(f"bad value {raw!r} for config key {key!r}: expected {annotation.__name__}") from None
    raise ValueError(f"config key {key!r} has an unsupported type {annotation!r}")


def resolve_config(presets: Mapping[str, C], name: str, overrides: Sequence[str] = ()) -> C:
    """The preset ``name`` with ``overrides`` applied; an unknown preset raises ``ValueError``."""
    if name not in presets:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(presets)}")
    return apply_overrides(presets[name], overrides)


def to_dict(config: Any) -> dict[str, Any]:
    """JSON-ready dict of a config dataclass (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def from_dict(config_class: type[C], data: Mapping[str, Any]) -> C:
    """Rebuild a config dataclass from ``to_dict`` output, restoring tuple fields."""
    field_types = typing.get_type_hints(config_class)
    unknown = sorted(set(data) - set(field_types))
    if unknown:
        raise ValueError(f"unknown config key(s) {unknown} for {config_class.__name__}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    return config_class(**values)
