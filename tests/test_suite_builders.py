"""Every registered builder x cell x direction x attention through the shared harness."""
from __future__ import annotations

import pytest

from suite import ModelSpec, topology_names
from suite.cells import CELLS
from tests.harness import run_builder_test

UNITS = 6
OUTPUTS = 3

# Per topology: toy kwargs, expected output shape, and which attention kinds it takes.
TOPOLOGY_CASES = {
    "one_to_one": (dict(input_shape=(4,)), (None, OUTPUTS), [None]),
    "one_to_many": (dict(input_shape=(4,), output_steps=5), (None, 5, OUTPUTS), [None]),
    "many_to_one": (dict(input_shape=(None, 4), masking=True), (None, OUTPUTS), [None, "dot", "additive"]),
    "many_to_many": (dict(input_shape=(None, 4)), (None, 6, OUTPUTS), [None, "dot", "additive"]),
    "encoder_decoder": (dict(input_shape=(None, 4), target_shape=(5, OUTPUTS)), (None, 5, OUTPUTS), [None, "dot", "additive"]),
    "hierarchical": (dict(input_shape=(3, 4, 4)), (None, OUTPUTS), [None]),
    "cnn_rnn": (dict(input_shape=(4, 8, 8, 3), conv_filters=(4,)), (None, OUTPUTS), [None]),
}


def _cases():
    for topology in topology_names():
        kwargs, shape, attentions = TOPOLOGY_CASES[topology]
        for cell in CELLS.names():
            for bidirectional in (False, True):
                for attention in attentions:
                    if attention and bidirectional and topology == "many_to_many":
                        continue  # causal attention over a bidirectional stack would see the future
                    extra = {"attention": attention} if attention else {}
                    yield pytest.param(topology, cell, bidirectional, {**kwargs, **extra}, shape,
                                       id=f"{topology}-{cell}-{'bi' if bidirectional else 'uni'}-{attention or 'noatt'}")


def test_every_registered_topology_has_a_case():
    assert sorted(TOPOLOGY_CASES) == topology_names()


@pytest.mark.parametrize("topology,cell,bidirectional,kwargs,expected_shape", list(_cases()))
def test_builder(topology, cell, bidirectional, kwargs, expected_shape, tmp_path):
    spec = ModelSpec(topology, dict(cell=cell, units=UNITS, layers=2, bidirectional=bidirectional,
                                    output_size=OUTPUTS, **kwargs))
    run_builder_test(spec, expected_shape, tmp_path)


@pytest.mark.parametrize("extra", [dict(residual=True, layer_norm=True), dict(dropout=0.2, recurrent_dropout=0.2),
                                   dict(bidirectional=True, merge="sum"), dict(bidirectional=True, merge="ave"),
                                   dict(bidirectional=True, merge="mul")])
def test_stack_options(extra, tmp_path):
    spec = ModelSpec("many_to_one", dict(cell="gru", units=UNITS, layers=2, input_shape=(None, 4), output_size=OUTPUTS, **extra))
    run_builder_test(spec, (None, OUTPUTS), tmp_path)


def test_cnn_rnn_batch_norm(tmp_path):
    spec = ModelSpec("cnn_rnn", dict(cell="gru", units=UNITS, input_shape=(4, 8, 8, 3), conv_filters=(4, 4),
                                     batch_norm=True, output_size=OUTPUTS))
    run_builder_test(spec, (None, OUTPUTS), tmp_path)
    model = spec.build()
    assert model.get_layer("frame_norm_1").layer.name == "norm_1"
    assert not model.get_layer("frame_conv_1").layer.use_bias  # the norm's offset replaces the bias
