"""Many-to-one: a sequence in, one output (classification of a clip, a sentence, a stay)."""
from __future__ import annotations

from typing import Sequence

from suite.builders import register_builder
from suite.heads import attend, check_attention, maybe_mask, output_head
from suite.keras import keras
from suite.recurrent import RecurrentSpec, recurrent_stack


@register_builder("many_to_one")
def build_many_to_one(spec: RecurrentSpec, input_shape: Sequence[int | None], output_size: int,
                      output_activation: str | None = "softmax", masking: bool = False,
                      attention: str | None = None) -> keras.Model:
    """With ``attention``, self-attention over the recurrent outputs is pooled instead of taking the last state."""
    check_attention(attention)
    inputs = keras.Input(shape=tuple(input_shape), name="sequence")
    x = maybe_mask(inputs, masking)
    if attention is None:
        x = recurrent_stack(x, spec, "rnn", return_sequences=False)
    else:
        sequence = recurrent_stack(x, spec, "rnn", return_sequences=True)
        x = attend(sequence, sequence, attention, "pool")
        x = keras.layers.GlobalAveragePooling1D(name="pool_average")(x)
    outputs = output_head(x, output_size, output_activation)
    return keras.Model(inputs, outputs, name="many_to_one")
