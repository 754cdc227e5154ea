"""Keywords that end a recording: does ``stream`` catch them, and how long after the word?

    python benchmarks/speech_phrases.py [--model saved_models/speech] [--json]

Each recording is a short phrase that ends with a keyword ("front left", "turn right", ...), spoken by a voice held
out of training (espeak-ng's test voices; flite's rms and festival's ked when installed), with 0.2 s of silence
before it and 50 ms after, as a person stops recording. The int8 step model streams it (apps/speech/recognize.py:
flushed with 0.5 s of silence); a phrase counts as caught when the first detection is its keyword. Latency = when
the detection fired minus the word's true end (from the synthesized audio, trimmed at 2% of its peak).
None of the phrases' first words is a carrier word of make-data.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apps.speech import data, engines, recognize, synth  # noqa: E402
from apps.speech.labels import SAMPLE_RATE  # noqa: E402
from apps.speech.model import load_stepper  # noqa: E402

PHRASES = ("front left", "turn right", "please stop", "switch on", "lights off", "look up", "turn it down",
           "answer yes", "just go", "say no")
ESPEAK_VOICES = ("en-us+f3", "en+mike2", "en-us+steph", "en-gb-x-rp+Mario", "en-us+whisper", "en+AnxiousAndy")
OTHER_VOICES = (("flite", "rms"), ("festival", "ked_diphone"))
LEAD_S, TAIL_S = 0.2, 0.05
PEAK = 0.5


def phrase_audio(text: str, voice: str | tuple[str, str]) -> np.ndarray:
    if isinstance(voice, str):
        raw = synth.speaker().speak(text, voice)
    else:
        raw = engines.ENGINES[voice[0]].render([engines.Utterance(text, voice[1])])[0]
    speech = data.trim_silence(raw)
    return (PEAK * speech / np.max(np.abs(speech))).astype(np.float32)


def recording(speech: np.ndarray) -> tuple[np.ndarray, float]:
    """The recording and the true end (s) of its last word (trim_silence keeps a 10 ms margin)."""
    lead, tail = np.zeros(int(LEAD_S * SAMPLE_RATE), np.float32), np.zeros(int(TAIL_S * SAMPLE_RATE), np.float32)
    end = (len(lead) + len(speech) - data.TRIM_MARGIN) / SAMPLE_RATE
    return np.concatenate([lead, speech, tail]), end


def voices() -> list[str | tuple[str, str]]:
    others = [voice for voice in OTHER_VOICES if engines.ENGINES[voice[0]].installed()]
    return [*ESPEAK_VOICES, *others]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="model directory or step .tflite (default: the shipped model)")
    parser.add_argument("--backend", default=None, choices=("tflite", "onnx", "keras"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    stepper = load_stepper(args.model, args.backend)
    rows = []
    for voice in voices():
        for text in PHRASES:
            signal, end = recording(phrase_audio(text, voice))
            found = recognize.detect(stepper, signal)
            first = found[0] if found else None
            rows.append({"voice": voice if isinstance(voice, str) else ":".join(voice), "phrase": text,
                         "seconds": round(len(signal) / SAMPLE_RATE, 3), "word_end": round(end, 3),
                         "detected": first.label if first else None,
                         "latency": round(first.fired - end, 3) if first else None,
                         "estimated_word_end": round(first.word_end, 3) if first else None})
    caught = [row for row in rows if row["detected"] == row["phrase"].split()[-1]]
    latencies = [row["latency"] for row in caught]
    summary = {"phrases": len(rows), "caught": len(caught),
               "wrong": sum(row["detected"] not in (None, row["phrase"].split()[-1]) for row in rows),
               "missed": sum(row["detected"] is None for row in rows),
               "latency_median_s": float(np.median(latencies)) if latencies else None,
               "latency_max_s": float(np.max(latencies)) if latencies else None,
               "word_end_error_median_s": float(np.median([abs(row["estimated_word_end"] - row["word_end"])
                                                           for row in caught])) if caught else None}
    if args.json:
        print(json.dumps({"summary": summary, "rows": rows}))
        return 0
    for row in rows:
        print(f"{row['voice']:>22}  {row['phrase']:<14} -> {row['detected'] or '-':<10} latency {row['latency']}")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
