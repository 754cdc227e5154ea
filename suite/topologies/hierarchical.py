"""Hierarchical: a lower RNN summarises each chunk, an upper RNN runs over the chunk summaries.

Input (batch, chunks, chunk_steps, features), e.g. words of characters or hours of minutes.
"""
from __future__ import annotations

from typing import Sequence

from suite.builders import register_builder
from suite.heads import output_head
from suite.keras import keras
from suite.recurrent import RecurrentSpec, recurrent_layer, recurrent_stack


@register_builder("hierarchical")
def build_hierarchical(spec: RecurrentSpec, input_shape: Sequence[int | None], output_size: int,
                       output_activation: str | None = "softmax") -> keras.Model:
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (chunks, chunk_steps, features), got {tuple(input_shape)!r}")
    inputs = keras.Input(shape=tuple(input_shape), name="chunks")
    lower = recurrent_layer(spec, "chunk_encoder", return_sequences=False)
    summaries = keras.layers.TimeDistributed(lower, name="chunk_summaries")(inputs)
    x = recurrent_stack(summaries, spec, "upper", return_sequences=False)
    outputs = output_head(x, output_size, output_activation)
    return keras.Model(inputs, outputs, name="hierarchical")
