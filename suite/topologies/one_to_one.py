"""One-to-one: a vector in, a vector out, through a single recurrent step (the family's base case)."""
from __future__ import annotations

from suite.builders import register_builder
from suite.heads import output_head
from suite.keras import keras
from suite.recurrent import RecurrentSpec, recurrent_stack


@register_builder("one_to_one")
def build_one_to_one(spec: RecurrentSpec, input_shape: tuple[int], output_size: int,
                     output_activation: str | None = "softmax") -> keras.Model:
    inputs = keras.Input(shape=tuple(input_shape), name="vector")
    x = keras.layers.Reshape((1, int(input_shape[-1])), name="as_one_step")(inputs)
    x = recurrent_stack(x, spec, "rnn", return_sequences=False)
    outputs = output_head(x, output_size, output_activation)
    return keras.Model(inputs, outputs, name="one_to_one")
