"""Read WAV files as float32 mono 16 kHz, and cut them into 1 s windows.

Any problem with a user's file becomes one ``UserError("<path>: <problem>")`` line.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile
import soxr

from apps.speech.labels import CLIP_SAMPLES, SAMPLE_RATE
from suite.errors import UserError

# First bytes of the WAV flavours libsndfile reads: RIFF (little endian), RIFX (big), RF64 (> 4 GB).
WAV_MAGIC = (b"RIFF", b"RIFX", b"RF64")
HEADER_BYTES = 12


def check_wav_header(path: Path) -> None:
    """Reject missing, empty, unreadable and non-WAV files before decoding."""
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path}: is a folder, not a WAV file")
    try:
        with open(path, "rb") as handle:
            header = handle.read(HEADER_BYTES)
    except OSError as error:
        raise UserError(f"{path}: cannot read ({error.strerror})") from None
    if not header:
        raise UserError(f"{path}: empty file")
    if header[:4] not in WAV_MAGIC or header[8:12] != b"WAVE":
        raise UserError(f"{path}: not a WAV file (no RIFF/WAVE header)")


def read_wav(path: str | os.PathLike, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode a WAV file to float32 mono at ``sample_rate``: stereo is averaged, other rates resampled."""
    path = Path(path)
    check_wav_header(path)
    try:
        audio, file_rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, ValueError) as error:
        raise UserError(f"{path}: corrupt or unsupported WAV ({error})") from None
    if audio.shape[0] == 0:
        raise UserError(f"{path}: WAV holds no audio samples")
    if not np.all(np.isfinite(audio)):
        raise UserError(f"{path}: WAV holds NaN or infinite samples")
    return resample(audio.mean(axis=1), file_rate, sample_rate)


def resample(audio: np.ndarray, rate_in: int, rate_out: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling with soxr (high quality); a no-op when the rates match."""
    audio = np.asarray(audio, dtype=np.float32)
    if rate_in == rate_out:
        return audio
    return soxr.resample(audio, rate_in, rate_out, quality="HQ").astype(np.float32)


def fit_length(audio: np.ndarray, length: int = CLIP_SAMPLES) -> np.ndarray:
    """Pad with zeros or cut at the end to exactly ``length`` samples (as Speech Commands' loader does)."""
    if len(audio) >= length:
        return audio[:length]
    return np.pad(audio, (0, length - len(audio)))


def load_clip(path: str | os.PathLike) -> np.ndarray:
    """One 1 s, 16 kHz float32 example from a WAV file."""
    return fit_length(read_wav(path))


def windows(audio: np.ndarray, window: int = CLIP_SAMPLES, hop: int = CLIP_SAMPLES // 4) -> np.ndarray:
    """Cut a long signal into (n, window) overlapping windows every ``hop`` samples.

    The last window is zero-padded so the end of the recording is covered; a signal shorter
    than one window gives one padded window.
    """
    if hop <= 0 or window <= 0:
        raise ValueError("window and hop must be positive")
    count = 1 + max(0, -(-(len(audio) - window) // hop))  # ceil division keeps the tail
    padded = fit_length(audio, window + (count - 1) * hop)
    starts = np.arange(count) * hop
    return padded[starts[:, np.newaxis] + np.arange(window)]


def window_start_times(count: int, hop: int = CLIP_SAMPLES // 4) -> np.ndarray:
    """Start time in seconds of each window made by ``windows``."""
    return np.arange(count) * hop / SAMPLE_RATE


def to_int16(audio: np.ndarray) -> np.ndarray:
    """float [-1, 1] -> 16-bit PCM, clipping out-of-range samples."""
    return np.clip(np.round(np.asarray(audio) * 32767.0), -32768, 32767).astype(np.int16)


def write_wav(path: str | os.PathLike, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """Write float audio as 16-bit PCM WAV (callers write inside an atomic temp folder or file)."""
    soundfile.write(path, to_int16(audio), sample_rate, subtype="PCM_16", format="WAV")
