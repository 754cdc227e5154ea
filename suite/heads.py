"""Small named pieces shared by topologies: masking, attention and the output head."""
from __future__ import annotations

from suite.keras import keras

ATTENTION_KINDS = (None, "additive", "dot")


def check_attention(attention: str | None) -> None:
    if attention not in ATTENTION_KINDS:
        raise ValueError(f"attention must be one of {ATTENTION_KINDS}, got {attention!r}")


def maybe_mask(inputs, masking: bool, name: str = "mask"):
    """Skip all-zero (padded) steps in variable-length batches."""
    return keras.layers.Masking(mask_value=0.0, name=name)(inputs) if masking else inputs


def attention_layer(attention: str, name: str):
    """Luong dot-product or Bahdanau additive attention, both standard Keras layers."""
    check_attention(attention)
    layer_class = keras.layers.Attention if attention == "dot" else keras.layers.AdditiveAttention
    return layer_class(name=name)


def attend(query, value, attention: str, name: str, causal: bool = False):
    """Context vectors for each query step, concatenated onto the query."""
    context = attention_layer(attention, f"{name}_attention")([query, value], use_causal_mask=causal)
    return keras.layers.Concatenate(name=f"{name}_context")([query, context])


def output_head(x, output_size: int, activation: str | None, name: str = "output"):
    return keras.layers.Dense(output_size, activation=activation, name=name)(x)
