"""Lookback features (Magenta's lookback_rnn): what the ``lookback`` preset reads at each step.

For the event at absolute step ``t`` of a tune:
- one-hot of the event, of the event one bar back (t - 16) and two bars back (t - 32), all zeros
  before the tune starts;
- two flags: the event repeats the one a bar back, two bars back;
- the position in the bar as 4 binary digits of ``t mod 16``, each as -1/+1 (Magenta's counters).

``features_tf`` builds them for a training window inside tf.data; ``features_np`` for the last event
of a generated history. A test checks that both agree.
"""
from __future__ import annotations

import numpy as np

from apps.music.encoding import VOCAB_SIZE
from apps.music.encoding import STEPS_PER_BAR

LOOKBACK_BARS = (1, 2)
POSITION_BITS = 4  # 16 steps per bar
FEATURE_SIZE = VOCAB_SIZE * (1 + len(LOOKBACK_BARS)) + len(LOOKBACK_BARS) + POSITION_BITS  # 123
CONTEXT = STEPS_PER_BAR * max(LOOKBACK_BARS)  # events of history a feature needs


def position_bits_np(steps: np.ndarray) -> np.ndarray:
    bits = (np.asarray(steps)[..., None] % STEPS_PER_BAR >> np.arange(POSITION_BITS)) & 1
    return (2.0 * bits - 1.0).astype(np.float32)


def features_np(history: np.ndarray, step: int) -> np.ndarray:
    """Features (FEATURE_SIZE,) of ``history[-1]``, the event at absolute step ``step``.

    ``history`` holds the tune's events so far (at least the last one); missing lookback is -1.
    """
    history = np.asarray(history, np.int64)
    current = int(history[-1])
    past = [int(history[-1 - bars * STEPS_PER_BAR]) if len(history) > bars * STEPS_PER_BAR else -1
            for bars in LOOKBACK_BARS]
    parts = [np.eye(VOCAB_SIZE, dtype=np.float32)[token] if token >= 0 else np.zeros(VOCAB_SIZE, np.float32)
             for token in [current, *past]]
    repeats = np.array([float(current >= 0 and token == current) for token in past], np.float32)
    return np.concatenate(parts + [repeats, position_bits_np(np.array(step))])


def features_tf(tokens, offset, context: int):
    """Features (len(tokens) - context, FEATURE_SIZE) of ``tokens[context:]``; ``tokens[i]`` is at step offset + i."""
    from suite.keras import tf

    tokens = tf.cast(tokens, tf.int32)
    length = tf.shape(tokens)[0] - context
    current = tokens[context:]
    past = [tokens[context - bars * STEPS_PER_BAR:context - bars * STEPS_PER_BAR + length] for bars in LOOKBACK_BARS]
    parts = [tf.one_hot(token, VOCAB_SIZE) for token in [current, *past]]  # one_hot(-1) is all zeros
    repeats = [tf.cast(tf.logical_and(current >= 0, token == current), tf.float32)[:, None] for token in past]
    steps = tf.cast(offset, tf.int32) + context + tf.range(length)
    bits = tf.bitwise.bitwise_and(tf.bitwise.right_shift(tf.math.floormod(steps, STEPS_PER_BAR)[:, None],
                                                         tf.range(POSITION_BITS)), 1)
    return tf.concat(parts + repeats + [2.0 * tf.cast(bits, tf.float32) - 1.0], axis=-1)
