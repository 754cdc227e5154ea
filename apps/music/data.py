"""Training data for the melody models: fixed windows of events, transposed at random each epoch.

A tune is cut into windows of ``window + 1`` events (stride ``window``); the model reads
``events[:-1]`` and predicts ``events[1:]``. The last window of a tune is padded, and padded
targets get sample weight 0. Each window gets a random transposition (within the range that keeps
its notes in range) every time it is drawn, so augmentation costs nothing extra per epoch.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from apps.music import encoding
from apps.music.corpus import MelodyDataset, prepare
from apps.music.encoding import STEPS_PER_BAR

NO_CONTEXT = -1  # lookback: before the tune starts (one-hot of -1 is all zeros)
SHUFFLE_BUFFER = 4096


def load_corpus(data_dir: str | None, limit: int | None, show_progress: bool = True) -> MelodyDataset:
    """The cached corpus (parsed on first use); with ``show_progress``, the cache path on stderr."""
    import sys

    dataset, path, cached = prepare(data_dir, limit=limit, show_progress=show_progress)
    if show_progress:
        print(f"corpus cache: {path}{'' if cached else ' (parsed now)'}", file=sys.stderr)
    return dataset


def windows(sequences: Sequence[np.ndarray], window: int, context: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tokens (N, context + window + 1), weights (N, window), first step of each window in its tune).

    ``context`` events before each window are included (NO_CONTEXT before the tune starts) for
    lookback features; padding after the tune's end is NO_EVENT with weight 0.
    """
    rows, weights, starts = [], [], []
    for events in sequences:
        events = np.asarray(events, np.int32)
        if len(events) < 2:
            continue
        padded = np.concatenate([np.full(context, NO_CONTEXT, np.int32), events])
        for start in range(0, len(events) - 1, window):
            piece = padded[start:start + context + window + 1]
            valid = len(piece) - context - 1  # targets that are real events
            row = np.zeros(context + window + 1, np.int32)
            row[:len(piece)] = piece
            weight = np.zeros(window, np.float32)
            weight[:valid] = 1.0
            rows.append(row)
            weights.append(weight)
            starts.append(start)
    if not rows:
        raise ValueError("no training windows: every tune is shorter than 2 events")
    return np.stack(rows), np.stack(weights), np.array(starts, np.int32)


def transposition_bounds(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per window, the lowest and highest semitone shift keeping its notes in range."""
    bounds = np.array([encoding.transposition_range(row[row >= 0]) for row in rows], np.int32)
    return bounds[:, 0], bounds[:, 1]


def make_dataset(sequences: Sequence[np.ndarray], config, training: bool):
    """A batched tf.data dataset of (inputs, targets, weights) for the config's model kind."""
    from suite.keras import tf

    context = 2 * STEPS_PER_BAR if config.lookback else 0
    rows, weights, starts = windows(sequences, config.window, context)
    low, high = transposition_bounds(rows)
    data = tf.data.Dataset.from_tensor_slices((rows, weights, starts, low, high))
    if training:
        data = data.shuffle(min(len(rows), SHUFFLE_BUFFER), reshuffle_each_iteration=True)

    def to_example(row, weight, start, shift_low, shift_high):
        if training and config.transpose:
            shift = tf.random.uniform([], shift_low, shift_high + 1, dtype=tf.int32)
            row = tf.where(row >= encoding.FIRST_NOTE_ON, row + shift, row)
        inputs_row, targets = row[:-1], row[context + 1:]
        if config.lookback:
            from apps.music.lookback import features_tf

            inputs = features_tf(inputs_row, start - context, context)
        else:
            inputs = inputs_row
        return inputs, targets, weight

    data = data.map(to_example, num_parallel_calls=tf.data.AUTOTUNE)
    return data.batch(config.train.batch_size).prefetch(tf.data.AUTOTUNE)


def first_event_distribution(sequences: Sequence[np.ndarray]) -> list[float]:
    """P(first event) over the training tunes, add-one smoothed over note-ons: the default primer."""
    counts = np.zeros(encoding.VOCAB_SIZE)
    counts[encoding.FIRST_NOTE_ON:] = 1.0
    for events in sequences:
        if len(events):
            counts[int(events[0])] += 1.0
    return (counts / counts.sum()).round(6).tolist()
