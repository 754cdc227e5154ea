"""Validated overrides and presets; bad keys and values raise ValueError naming them."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from suite import build_model
from suite.config import apply_overrides, from_dict, resolve_config, to_dict
from suite.training import TrainConfig


@dataclass(frozen=True)
class ToyConfig:
    units: int = 64
    cell: str = "gru"
    dropout: float = 0.0
    bidirectional: bool = False
    conv_filters: tuple[int, ...] = (16, 32)
    window: int | None = None


PRESETS = {"tiny": ToyConfig(units=16), "base": ToyConfig()}


def test_overrides_parse_by_field_type():
    config = apply_overrides(PRESETS["tiny"], ["units=128", "dropout=0.25", "bidirectional=true",
                                               "conv_filters=8,16,32", "window=none", "cell=lstm"])
    assert config == ToyConfig(units=128, cell="lstm", dropout=0.25, bidirectional=True, conv_filters=(8, 16, 32))
    assert apply_overrides(config, ["window=4"]).window == 4


@pytest.mark.parametrize("override,message", [
    ("unitz=3", "unitz"), ("units=many", "'many'"), ("bidirectional=maybe", "'maybe'"), ("units", "key=value"),
])
def test_bad_overrides_name_the_problem(override, message):
    with pytest.raises(ValueError, match=message):
        apply_overrides(PRESETS["base"], [override])


def test_unknown_preset():
    with pytest.raises(ValueError, match="'huge'"):
        resolve_config(PRESETS, "huge")


def test_config_dict_round_trip():
    config = resolve_config(PRESETS, "tiny", ["conv_filters=4,4"])
    assert from_dict(ToyConfig, to_dict(config)) == config


@pytest.mark.parametrize("kwargs,message", [
    (dict(cell="transformer"), "'transformer'"), (dict(units=0), "units"), (dict(merge="max"), "merge"),
    (dict(dropout=1.5), "dropout"), (dict(colour="red"), "colour"), (dict(attention="luong"), "attention"),
])
def test_build_model_validates(kwargs, message):
    base = dict(cell="gru", units=8, input_shape=(None, 3), output_size=2)
    with pytest.raises(ValueError, match=message):
        build_model("many_to_one", **{**base, **kwargs})


def test_unknown_topology_and_train_config():
    with pytest.raises(ValueError, match="'two_to_two'"):
        build_model("two_to_two", units=4)
    with pytest.raises(ValueError, match="schedule"):
        apply_overrides(TrainConfig(), ["schedule=wobbly"])
