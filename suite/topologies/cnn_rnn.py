"""CNN+RNN for frame sequences (LRCN): a small per-frame CNN, then a recurrent stack over time.

``temporal="average"`` replaces the recurrent stack with a mean over frames: the per-frame
baseline that shows what the recurrent part adds.
"""
from __future__ import annotations

from typing import Sequence

from suite.builders import register_builder
from suite.heads import output_head
from suite.keras import keras
from suite.recurrent import RecurrentSpec, recurrent_stack

TEMPORAL_KINDS = ("rnn", "average")


def frame_features(frames, conv_filters: Sequence[int], batch_norm: bool = False):
    """TimeDistributed conv blocks (conv 3x3 [+ batch norm] + ReLU + 2x2 max-pool), then global average per frame.

    Batch norm (per frame, folded into the conv at export) keeps a wider CNN training: without it
    a 16-32-64-64-64 CNN + GRU(64) stayed at chance (loss ln 8) for 9 epochs; with it, it learned.
    """
    x = frames
    for index, filters in enumerate(conv_filters):
        conv = keras.layers.Conv2D(int(filters), 3, padding="same", use_bias=not batch_norm,
                                   activation=None if batch_norm else "relu", name=f"conv_{index}")
        x = keras.layers.TimeDistributed(conv, name=f"frame_conv_{index}")(x)
        if batch_norm:
            norm = keras.layers.BatchNormalization(name=f"norm_{index}")
            x = keras.layers.TimeDistributed(norm, name=f"frame_norm_{index}")(x)
            x = keras.layers.TimeDistributed(keras.layers.Activation("relu", name=f"relu_{index}"),
                                             name=f"frame_relu_{index}")(x)
        pool = keras.layers.MaxPooling2D(2, name=f"pool_{index}")
        x = keras.layers.TimeDistributed(pool, name=f"frame_pool_{index}")(x)
    average = keras.layers.GlobalAveragePooling2D(name="spatial_average")
    return keras.layers.TimeDistributed(average, name="frame_features")(x)


@register_builder("cnn_rnn")
def build_cnn_rnn(spec: RecurrentSpec, input_shape: Sequence[int | None], output_size: int,
                  conv_filters: Sequence[int] = (16, 32), temporal: str = "rnn", batch_norm: bool = False,
                  output_activation: str | None = "softmax") -> keras.Model:
    if len(input_shape) != 4:
        raise ValueError(f"input_shape must be (frames, height, width, channels), got {tuple(input_shape)!r}")
    if temporal not in TEMPORAL_KINDS:
        raise ValueError(f"temporal must be one of {TEMPORAL_KINDS}, got {temporal!r}")
    if not conv_filters or any(int(f) < 1 for f in conv_filters):
        raise ValueError(f"conv_filters must be positive integers, got {conv_filters!r}")
    inputs = keras.Input(shape=tuple(input_shape), name="frames")
    x = frame_features(inputs, conv_filters, batch_norm)
    if temporal == "rnn":
        x = recurrent_stack(x, spec, "rnn", return_sequences=False)
    else:
        x = keras.layers.GlobalAveragePooling1D(name="frame_average")(x)
    outputs = output_head(x, output_size, output_activation)
    return keras.Model(inputs, outputs, name="cnn_rnn")
