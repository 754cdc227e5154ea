"""Keywords that end a recording: does ``stream`` catch them, and how long after the word?

    python benchmarks/speech_phrases.py [--model saved_models/speech] [--json]
    python benchmarks/speech_phrases.py --isolated [--threshold 0.7]   # isolated espeak words with gaps instead

Each recording is a short phrase that ends with a keyword ("front left", "turn right", ...), spoken by a voice held
out of training (espeak-ng's test voices; flite's rms and festival's ked when installed), with 0.2 s of silence
before it and 50 ms after, as a person stops recording. The int8 step model streams it (apps/speech/recognize.py:
flushed with 0.5 s of silence); a phrase counts as caught when the first detection is its keyword. Latency = when
the detection fired minus the word's true end (from the synthesized audio, trimmed at 2% of its peak).
None of the phrases' first words is a carrier word of make-data.

``--isolated``: the tests' long recordings instead (tests/speech_fixtures.long_recording: keyword clips with 0.6 s
gaps) of an espeak-only folder (per_word 10, seed 3, in a temporary folder): 40 clips of training voices and the
10 of test voices; a word counts as found when a detection of its label overlaps its second.
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


def isolated(stepper, threshold: float) -> dict:  # noqa: ANN001 (a step model of apps.speech.model)
    import tempfile

    from apps.speech import dataset
    from apps.speech.labels import KEYWORDS, LABELS
    from tests.speech_fixtures import long_recording

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "data"
        data.make_data(folder, per_word=10, seed=3, workers=2, show_progress=False, engine_names=("espeak",))
        splits = dataset.load_folder(folder, 0.0, 0.0, 0)
        result = {}
        for split in ("training", "testing"):
            clips = [e for e in splits[split] if LABELS[e.label] in KEYWORDS][:40]
            signal, truth = long_recording(clips)
            found = recognize.detect(stepper, signal, recognizer=recognize.RecognizeCommands(threshold=threshold))
            hits = sum(any(d.label == label and d.start < start + 1 and d.end > start for d in found)
                       for label, start in truth)
            result[split] = {"words": len(truth), "found": hits, "detections": len(found)}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="model directory or step .tflite (default: the shipped model)")
    parser.add_argument("--backend", default=None, choices=("tflite", "onnx", "keras"))
    parser.add_argument("--isolated", action="store_true", help="isolated espeak words with gaps instead of phrases")
    parser.add_argument("--threshold", type=float, default=recognize.THRESHOLD)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    stepper = load_stepper(args.model, args.backend)
    if args.isolated:
        print(json.dumps(isolated(stepper, args.threshold)))
        return 0
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
