"""Training-time augmentation in tf.data: new variations of every training clip in every epoch.

The held-out voices are unseen, so the model must not memorize the 85 training voices. Per clip:

- audio: random gain, random time shift (zero-padded), background noise from ``_background_noise_``
  mixed at a random SNR;
- log-mel: a random warp of the mel axis (a vocal-tract-length-like change of voice) and of the time
  axis (a speed change), then SpecAugment masks (a few frequency bands and time spans set to the clip mean).

Randomness is stateless, seeded per clip from a ``tf.data.Dataset.random`` stream that changes every
epoch, so training stays repeatable under ``seed_everything`` (which turns on op determinism).
"""
from __future__ import annotations

import numpy as np

from apps.speech.features import NUM_FRAMES, NUM_MEL_BINS, log_mel
from suite.keras import tf

CLIP_SAMPLES = 16_000
GAIN_DB = (-10.0, 6.0)  # uniform gain range; the result is clipped to [-1, 1]
MAX_SHIFT_SAMPLES = 1_600  # +-100 ms, as Google's train.py --time_shift_ms
NOISE_PROBABILITY = 0.8  # Google's --background_frequency
NOISE_SNR_DB = (0.0, 20.0)  # speech RMS over noise RMS, uniform in dB
MEL_WARP = (0.88, 1.12)  # mel-axis stretch factor: voices differ mostly by formant positions
TIME_WARP = (0.85, 1.15)  # time-axis stretch factor: speaking rate
FREQUENCY_MASKS, MAX_FREQUENCY_MASK_BINS = 2, 5  # SpecAugment F, of 40 bins
TIME_MASKS, MAX_TIME_MASK_FRAMES = 2, 5  # SpecAugment T, of 49 frames (100 ms each)


def _uniform(seed: tf.Tensor, salt: int, low: float, high: float, shape: tuple[int, ...] = ()) -> tf.Tensor:
    """Stateless uniform draw; ``salt`` makes the draws of one clip independent of each other."""
    return tf.random.stateless_uniform(shape, seed=tf.stack([seed, tf.constant(salt, tf.int64)]),
                                       minval=low, maxval=high)


def _integer(seed: tf.Tensor, salt: int, high: tf.Tensor | int, shape: tuple[int, ...] = ()) -> tf.Tensor:
    """Stateless integer in [0, high)."""
    return tf.random.stateless_uniform(shape, seed=tf.stack([seed, tf.constant(salt, tf.int64)]),
                                       minval=0, maxval=tf.cast(high, tf.int32), dtype=tf.int32)


def _rms(audio: tf.Tensor) -> tf.Tensor:
    return tf.sqrt(tf.reduce_mean(tf.square(audio)) + 1e-10)


def augment_audio(audio: tf.Tensor, seed: tf.Tensor, background: tf.Tensor) -> tf.Tensor:
    """(16000,) clip -> gained, shifted clip with background noise (when ``background`` has samples)."""
    audio = audio * tf.pow(10.0, _uniform(seed, 0, *GAIN_DB) / 20.0)
    shift = _integer(seed, 1, 2 * MAX_SHIFT_SAMPLES + 1)
    padded = tf.pad(audio, [[MAX_SHIFT_SAMPLES, MAX_SHIFT_SAMPLES]])
    audio = padded[shift:shift + CLIP_SAMPLES]
    if background.shape[0]:
        start = _integer(seed, 2, tf.shape(background)[0] - CLIP_SAMPLES)
        noise = background[start:start + CLIP_SAMPLES]
        snr = tf.pow(10.0, _uniform(seed, 3, *NOISE_SNR_DB) / 20.0)
        mixed = audio + noise * (_rms(audio) / (_rms(noise) * snr))
        audio = tf.where(_uniform(seed, 4, 0.0, 1.0) < NOISE_PROBABILITY, mixed, audio)
    return tf.clip_by_value(audio, -1.0, 1.0)


def _warp(features: tf.Tensor, factor: tf.Tensor, axis: int, size: int) -> tf.Tensor:
    """Stretch ``features`` along ``axis`` by ``factor`` about its start (linear interpolation, edge-clamped)."""
    position = tf.clip_by_value(tf.range(size, dtype=tf.float32) / factor, 0.0, size - 1.0)
    low = tf.cast(tf.floor(position), tf.int32)
    high = tf.minimum(low + 1, size - 1)
    weight = position - tf.floor(position)
    shape = [1, 1]
    shape[axis] = size
    weight = tf.reshape(weight, shape)
    return tf.gather(features, low, axis=axis) * (1.0 - weight) + tf.gather(features, high, axis=axis) * weight


def _mask(features: tf.Tensor, seed: tf.Tensor, salt: int, axis: int, count: int, widest: int) -> tf.Tensor:
    size = features.shape[axis]
    keep = tf.ones([size], tf.bool)
    for index in range(count):
        width = _integer(seed, salt + 2 * index, widest + 1)
        start = _integer(seed, salt + 2 * index + 1, size - width + 1)
        positions = tf.range(size)
        keep &= ~((positions >= start) & (positions < start + width))
    shape = [1, 1]
    shape[axis] = size
    return tf.where(tf.reshape(keep, shape), features, tf.reduce_mean(features))


def augment_features(features: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """(49, 40) log-mel -> mel- and time-warped, SpecAugment-masked log-mel."""
    features = _warp(features, _uniform(seed, 10, *MEL_WARP), axis=1, size=NUM_MEL_BINS)
    features = _warp(features, _uniform(seed, 11, *TIME_WARP), axis=0, size=NUM_FRAMES)
    features = _mask(features, seed, 20, axis=1, count=FREQUENCY_MASKS, widest=MAX_FREQUENCY_MASK_BINS)
    return _mask(features, seed, 30, axis=0, count=TIME_MASKS, widest=MAX_TIME_MASK_FRAMES)


def augmented_features(features: np.ndarray, labels: np.ndarray, batch_size: int, seed: int) -> tf.data.Dataset:
    """Shuffled batches of (warped, masked features, label) from fixed (n, 49, 40) features of either kind."""
    examples = tf.data.Dataset.from_tensor_slices((features, labels)).shuffle(len(labels), seed=seed)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)

    def one(example: tuple, clip_seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return augment_features(example[0], clip_seed), example[1]

    return (tf.data.Dataset.zip((examples, seeds)).map(one, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(batch_size).prefetch(2))


def augmented_dataset(audio: np.ndarray, labels: np.ndarray, background: np.ndarray, batch_size: int,
                      seed: int) -> tf.data.Dataset:
    """Shuffled batches of (augmented log-mel (batch, 49, 40), label) from (n, 16000) training audio."""
    background = tf.constant(np.asarray(background, np.float32).reshape(-1))
    clips = tf.data.Dataset.from_tensor_slices((audio, labels)).shuffle(len(labels), seed=seed)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)

    def one(clip_and_label: tuple, clip_seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        clip, label = clip_and_label
        features = log_mel(augment_audio(clip, clip_seed, background))
        return augment_features(features, clip_seed), label

    return (tf.data.Dataset.zip((clips, seeds)).map(one, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(batch_size).prefetch(2))
