"""One-to-many: a vector in, a sequence out (captioning, generating from a seed vector).

The vector sets the decoder's initial state through a named projection and is also fed at
every step, so the decoder can condition on it throughout.
"""
from __future__ import annotations

from suite.builders import register_builder
from suite.heads import output_head
from suite.keras import keras
from suite.recurrent import RecurrentSpec, recurrent_stack, state_count


@register_builder("one_to_many")
def build_one_to_many(spec: RecurrentSpec, input_shape: tuple[int], output_size: int, output_steps: int,
                      output_activation: str | None = "softmax") -> keras.Model:
    if int(output_steps) < 1:
        raise ValueError(f"output_steps must be >= 1, got {output_steps!r}")
    inputs = keras.Input(shape=tuple(input_shape), name="vector")
    initial_state = [keras.layers.Dense(spec.units, activation="tanh", name=f"initial_state_{i}")(inputs)
                     for i in range(state_count(spec))]
    steps = keras.layers.RepeatVector(int(output_steps), name="repeat_vector")(inputs)
    x = recurrent_stack(steps, spec, "decoder", return_sequences=True, initial_state=initial_state)
    outputs = output_head(x, output_size, output_activation)
    return keras.Model(inputs, outputs, name="one_to_many")
