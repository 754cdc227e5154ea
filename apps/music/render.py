"""Listen to and look at melodies: a WAV (fluidsynth + GM soundfont when installed, else a small
numpy synthesizer) and a piano-roll PNG. Both are written atomically."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path
from typing import Sequence

import numpy as np

from apps.music.encoding import STEPS_PER_QUARTER, Note
from apps.music.midi import DEFAULT_QPM, write_midi
from suite.atomic import atomic_path

SAMPLE_RATE = 22_050  # plenty for a melody up to C6 and its first harmonics
HARMONICS = (1.0, 0.5, 0.25, 0.125)  # amplitudes of partials 1..4: a soft, organ-like tone
ATTACK_SECONDS = 0.01  # short enough to sound like an onset, long enough not to click
RELEASE_SECONDS = 0.05
DECAY_PER_SECOND = 3.0  # exponential decay rate: a plucked feel, so repeated notes stay distinct
PEAK_LEVEL = 0.8  # of full scale, leaving headroom
INT16_MAX = 32767
SOUNDFONT_ENV = "SOUNDFONT"
SOUNDFONT_PATHS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/default-GM.sf2",
                   "/usr/share/soundfonts/FluidR3_GM.sf2", "/usr/share/soundfonts/default.sf2")


def step_seconds(qpm: float) -> float:
    return 60.0 / qpm / STEPS_PER_QUARTER


def find_soundfont() -> Path | None:
    """$SOUNDFONT, else a General MIDI soundfont at a usual Debian/Fedora location."""
    candidates = [os.environ.get(SOUNDFONT_ENV, ""), *SOUNDFONT_PATHS]
    return next((Path(path) for path in candidates if path and Path(path).is_file()), None)


def synthesize(notes: Sequence[Note], qpm: float = DEFAULT_QPM, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Float samples in [-1, 1] of the melody: additive sines with an attack/decay/release envelope."""
    seconds_per_step = step_seconds(qpm)
    total_seconds = (max((note.end for note in notes), default=0) * seconds_per_step) + RELEASE_SECONDS
    audio = np.zeros(int(np.ceil(total_seconds * sample_rate)) + 1)
    for pitch, start, end in notes:
        duration = (end - start) * seconds_per_step
        t = np.arange(int((duration + RELEASE_SECONDS) * sample_rate)) / sample_rate
        frequency = 440.0 * 2.0 ** ((pitch - 69) / 12)
        tone = sum(amplitude * np.sin(2 * np.pi * frequency * (index + 1) * t)
                   for index, amplitude in enumerate(HARMONICS) if frequency * (index + 1) < sample_rate / 2)
        envelope = np.minimum(t / ATTACK_SECONDS, 1.0) * np.exp(-DECAY_PER_SECOND * t)
        envelope *= np.clip((duration + RELEASE_SECONDS - t) / RELEASE_SECONDS, 0.0, 1.0)
        first = int(start * seconds_per_step * sample_rate)
        audio[first:first + len(t)] += tone * envelope
    peak = np.abs(audio).max()
    return audio * (PEAK_LEVEL / peak) if peak > 0 else audio


def write_wav_samples(samples: np.ndarray, path: str | os.PathLike, sample_rate: int = SAMPLE_RATE) -> None:
    """Mono 16-bit PCM WAV, written atomically."""
    pcm = (np.clip(samples, -1.0, 1.0) * INT16_MAX).astype("<i2")
    with atomic_path(path) as tmp:
        with wave.open(str(tmp), "wb") as handle:
            handle.setnchannels(1)
            handle.setsampwidth(2)
            handle.setframerate(sample_rate)
            handle.writeframes(pcm.tobytes())


def render_wav(notes: Sequence[Note], path: str | os.PathLike, qpm: float = DEFAULT_QPM,
               use_fluidsynth: bool = True) -> str:
    """Write the melody as a WAV; returns the renderer used ('fluidsynth' or 'numpy')."""
    fluidsynth = shutil.which("fluidsynth")
    soundfont = find_soundfont()
    if use_fluidsynth and fluidsynth and soundfont:
        with tempfile.TemporaryDirectory() as folder:
            midi_path = write_midi(notes, Path(folder) / "melody.mid", qpm=qpm)
            with atomic_path(path) as tmp:
                subprocess.run([fluidsynth, "-ni", "-F", str(tmp), "-r", "44100", str(soundfont), str(midi_path)],
                               check=True, capture_output=True, timeout=120)
        return "fluidsynth"
    write_wav_samples(synthesize(notes, qpm), path)
    return "numpy"


PITCH_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def pitch_name(pitch: int) -> str:
    """MIDI 60 -> 'C4' (scientific pitch notation)."""
    return f"{PITCH_NAMES[pitch % 12]}{pitch // 12 - 1}"


def render_piano_roll(notes: Sequence[Note], path: str | os.PathLike, title: str, primer_steps: int = 0,
                      qpm: float = DEFAULT_QPM, meter: str | None = None) -> None:
    """A piano-roll PNG: one bar per note, time in bars of ``meter`` (None: 4/4; seconds on top at ``qpm``),
    pitch names, bar lines, and the primer's notes and span marked apart from the generated ones."""
    from apps.music.conditions import BAR_STEPS, bar_steps

    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    bar = bar_steps(meter)
    figure, axes = plt.subplots(figsize=(10, 4), dpi=100)
    for kind, color in (("primer", "tab:orange"), ("generated", "tab:blue")):
        spans = [note for note in notes if (note.start < primer_steps) == (kind == "primer")]
        for pitch, start, end in spans:  # white edges split repeated notes
            axes.broken_barh([(start / bar, (end - start) / bar)], (pitch - 0.4, 0.8),
                             facecolors=color, edgecolors="white", linewidth=1)
        if spans:
            axes.plot([], [], color=color, linewidth=6, label=f"{kind} notes ({len(spans)})")
    bars = max((note.end for note in notes), default=bar) / bar
    for line in range(1, int(np.ceil(bars)) + 1):
        axes.axvline(line, color="grey", linewidth=0.6, alpha=0.6, label="bar line" if line == 1 else None)
    if primer_steps:
        axes.axvspan(0, primer_steps / bar, color="tab:orange", alpha=0.1, label="primer")
    pitches = [note.pitch for note in notes] or [60]
    low, high = min(pitches) - 1, max(pitches) + 1
    ticks = range(low, high + 1, 1 if high - low <= 24 else 2)  # every semitone named when it fits
    axes.set_yticks(list(ticks), [pitch_name(pitch) for pitch in ticks], fontsize=7)
    axes.set_ylim(low - 0.5, high + 0.5)
    axes.set_xlim(0, bars)
    axes.set_xlabel(f"time (bars of {meter if meter in BAR_STEPS else '4/4'})")
    axes.set_ylabel("pitch")
    seconds_per_bar = step_seconds(qpm) * bar
    top = axes.secondary_xaxis("top", functions=(lambda b: b * seconds_per_bar, lambda s: s / seconds_per_bar))
    top.set_xlabel(f"time (seconds at {qpm:g} quarter notes per minute)")
    axes.legend(loc="upper right", fontsize=7, framealpha=0.8)
    axes.set_title(title, fontsize=10)
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
    plt.close(figure)
