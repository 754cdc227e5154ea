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
    dataset.info["cache_path"] = str(path)  # where condition_prefixes keeps the tunes' labels
    return dataset


def condition_prefixes(dataset: MelodyDataset, show_progress: bool = True) -> dict[str, np.ndarray]:
    """Control tokens (style, meter, key) per tune id, cached beside the corpus cache (key analysis
    takes ~30 ms a tune)."""
    from pathlib import Path

    from apps.music import conditions
    from apps.music.corpus import folk_sources
    from suite.atomic import atomic_path

    path = Path(dataset.info["cache_path"]).with_suffix(".conditions.npz")
    if path.exists():
        with np.load(path) as stored:
            return dict(zip(stored["tune_ids"].tolist(), stored["prefixes"]))
    texts = {source.tune_id: source.payload for source in folk_sources() if source.kind == "abc"}
    prefixes = conditions.corpus_prefixes(dataset.tune_ids, dataset.events, texts, show_progress)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, tune_ids=np.array(dataset.tune_ids, dtype=str), prefixes=np.stack(prefixes))
    return dict(zip(dataset.tune_ids, prefixes))


def split_prefixes(dataset: MelodyDataset, name: str, prefixes: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The control tokens of one split's tunes, in ``dataset.split(name)``'s order."""
    from apps.music.corpus import split_of

    return [prefixes[tune_id] for tune_id in dataset.tune_ids if split_of(tune_id) == name]


def conditioned_windows(sequences: Sequence[np.ndarray], prefixes: Sequence[np.ndarray],
                        window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows with the tune's control tokens in front: (tokens (N, PREFIX + window + 1), target weights
    (N, PREFIX + window), first step). The targets at the control tokens have weight 0, and the first event
    after them weight 1 only at the tune's start (elsewhere it is a mid-tune event with no history)."""
    from apps.music.conditions import PREFIX_LENGTH

    rows, weights, starts = [], [], []
    for events, prefix in zip(sequences, prefixes):
        if len(events) < 2:
            continue
        tune_rows, tune_weights, tune_starts = windows([events], window)
        head = np.zeros((len(tune_rows), PREFIX_LENGTH), np.float32)
        head[:, -1] = tune_starts == 0
        rows.append(np.concatenate([np.tile(prefix, (len(tune_rows), 1)), tune_rows], axis=1))
        weights.append(np.concatenate([head, tune_weights], axis=1))
        starts.append(tune_starts)
    if not rows:
        raise ValueError("no training windows: every tune is shorter than 2 events")
    return np.concatenate(rows).astype(np.int32), np.concatenate(weights), np.concatenate(starts)


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


def make_dataset(sequences: Sequence[np.ndarray], config, training: bool,
                 prefixes: Sequence[np.ndarray] | None = None):
    """A batched tf.data dataset of (inputs, targets, weights) for the config's model kind (``prefixes``:
    the tunes' control tokens, for a conditioned model)."""
    from suite.keras import tf

    if config.conditioning:
        return conditioned_dataset(sequences, prefixes, config, training)
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


def conditioned_dataset(sequences: Sequence[np.ndarray], prefixes: Sequence[np.ndarray] | None, config,
                        training: bool):
    """make_dataset for a conditioned model: transposition moves the key token's tonic with the notes."""
    from apps.music import conditions
    from suite.keras import tf

    if prefixes is None or len(prefixes) != len(sequences):
        raise ValueError("a conditioned model needs one control-token prefix per tune")
    rows, weights, _ = conditioned_windows(sequences, prefixes, config.window)
    low, high = transposition_bounds(rows[:, conditions.PREFIX_LENGTH:])
    data = tf.data.Dataset.from_tensor_slices((rows, weights, low, high))
    if training:
        data = data.shuffle(min(len(rows), SHUFFLE_BUFFER), reshuffle_each_iteration=True)
    octave = encoding.SEMITONES_PER_OCTAVE

    def to_example(row, weight, shift_low, shift_high):
        if training and config.transpose:
            shift = tf.random.uniform([], shift_low, shift_high + 1, dtype=tf.int32)
            is_note = (row >= encoding.FIRST_NOTE_ON) & (row < encoding.VOCAB_SIZE)
            row = tf.where(is_note, row + shift, row)
            mode, tonic = (row[2] - conditions.KEY_BASE) // octave, (row[2] - conditions.KEY_BASE) % octave
            key = conditions.KEY_BASE + mode * octave + (tonic + shift) % octave
            row = tf.concat([row[:2], [key], row[3:]], axis=0)
        targets = tf.concat([tf.zeros([conditions.PREFIX_LENGTH - 1], row.dtype), row[conditions.PREFIX_LENGTH:]], 0)
        return row[:-1], targets, weight

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
