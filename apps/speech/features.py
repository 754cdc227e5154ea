"""Log-mel features with tf.signal: the front-end inside training's augmentation pipeline (tf.data).

``apps/speech/frontend.py`` is the numpy twin that every inference command, evaluation and the export
data use; the constants live there so the two cannot drift, and tests/test_speech_features.py checks
they agree within 1e-4.
"""
from __future__ import annotations

from apps.speech import frontend
from suite.keras import tf

NUM_FRAMES, NUM_MEL_BINS, FEATURE_SHAPE = frontend.NUM_FRAMES, frontend.NUM_MEL_BINS, frontend.FEATURE_SHAPE


def mel_weight_matrix() -> tf.Tensor:
    """(257, 40) float32 mel filter bank."""
    return tf.signal.linear_to_mel_weight_matrix(
        num_mel_bins=frontend.NUM_MEL_BINS,
        num_spectrogram_bins=frontend.NUM_SPECTROGRAM_BINS,
        sample_rate=frontend.SAMPLE_RATE,
        lower_edge_hertz=frontend.LOWER_EDGE_HZ,
        upper_edge_hertz=frontend.UPPER_EDGE_HZ,
    )


def log_mel(audio: tf.Tensor) -> tf.Tensor:
    """[..., samples] float32 in [-1, 1] -> [..., frames, 40] log-mel; (49, 40) for a 1 s clip."""
    stft = tf.signal.stft(
        tf.cast(audio, tf.float32),
        frame_length=frontend.WINDOW_SAMPLES,
        frame_step=frontend.HOP_SAMPLES,
        fft_length=frontend.FFT_LENGTH,
        window_fn=tf.signal.hann_window,  # periodic Hann
        pad_end=False,
    )
    mel = tf.tensordot(tf.abs(stft), mel_weight_matrix(), axes=1)
    return tf.math.log(mel + frontend.LOG_OFFSET)
