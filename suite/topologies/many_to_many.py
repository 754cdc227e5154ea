"""Many-to-many, aligned: one output per input step (tagging, language models, hourly risk)."""
from __future__ import annotations

from typing import Sequence

from suite.builders import register_builder
from suite.heads import attend, check_attention, maybe_mask, output_head
from suite.keras import keras
from suite.recurrent import RecurrentSpec, recurrent_stack


@register_builder("many_to_many")
def build_many_to_many(spec: RecurrentSpec, input_shape: Sequence[int | None], output_size: int,
                       output_activation: str | None = "softmax", masking: bool = False,
                       attention: str | None = None, vocab_size: int | None = None,
                       embedding_dim: int = 32) -> keras.Model:
    """``vocab_size`` switches the input to integer tokens with an embedding (language models).

    ``attention`` adds causal self-attention over past outputs (Magenta's attention_rnn idea);
    a causal-attention model is scored as a sequence, not streamed step by step.
    """
    check_attention(attention)
    if spec.bidirectional and attention is not None:
        raise ValueError("attention with bidirectional=True would see the future; use one or the other")
    if vocab_size:
        inputs = keras.Input(shape=tuple(input_shape), dtype="int32", name="tokens")
        x = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=masking, name="embedding")(inputs)
    else:
        inputs = keras.Input(shape=tuple(input_shape), name="sequence")
        x = maybe_mask(inputs, masking)
    x = recurrent_stack(x, spec, "rnn", return_sequences=True)
    if attention is not None:
        x = attend(x, x, attention, "lookback", causal=True)
    outputs = output_head(x, output_size, output_activation)
    return keras.Model(inputs, outputs, name="many_to_many")
