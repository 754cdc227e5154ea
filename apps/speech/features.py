"""Log-mel features with tf.signal: the training/inference front-end.

``apps/speech/frontend.py`` is the numpy twin used on devices; the constants live there so the
two cannot drift, and tests/test_speech_features.py checks they agree within 1e-4.
"""
from __future__ import annotations

from apps.speech import frontend
from suite.keras import tf

NUM_FRAMES = frontend.num_frames(frontend.SAMPLE_RATE)  # 49 frames per 1 s clip
NUM_MEL_BINS = frontend.NUM_MEL_BINS
FEATURE_SHAPE = (NUM_FRAMES, NUM_MEL_BINS)


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
