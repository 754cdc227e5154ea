"""``train --init``, measured: fine-tune a trained model on a user's small folder vs train from scratch on it.

    python benchmarks/speech_lofo.py        # first: the model that never heard espeak-ng (runs/speech-lofo/formant)
    python benchmarks/speech_finetune.py [--per-word 4] [--epochs 10] [--json]

Scenario: the model trained without the formant family (espeak-ng) meets a user whose voices it never heard, and
the user records a small folder: ``make-data --engines espeak --per-word 4`` (2 training clips of each of the 35
words, i.e. 20 keyword recordings, plus held-out clips of other voices). Three models are scored on the same
held-out clips, espeak-ng's test voices in the large generated folder (voices the small folder never has in its
training split; single words only):
- as is: the formant-held-out LOFO model;
- fine-tuned: ``train --init <that model> --data <small folder>`` (lower learning rate, few epochs);
- from scratch: ``train --data <small folder>`` with the same preset at its own learning rate and more epochs
  (``--scratch-epochs``: a fresh model needs them; a folder this small is 2 batches an epoch).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from speech_lofo import THREADS, clip_roles  # noqa: E402

from apps.speech import data  # noqa: E402
from apps.speech.commands.evaluate import evaluate_folder  # noqa: E402
from apps.speech.labels import BACKGROUND_FOLDER, TESTING_LIST  # noqa: E402


def heldout_view(folder: Path, view: Path, roles: dict) -> int:
    """A view whose testing split is the formant family's single-word clips of make-data's testing voices."""
    view.mkdir(parents=True, exist_ok=True)
    chosen = [clip for clip, (family, split, phrase) in sorted(roles.items())
              if family == "formant" and split == "testing" and not phrase]
    for clip in chosen:
        (view / clip).parent.mkdir(exist_ok=True)
        if not (view / clip).is_symlink():
            (view / clip).symlink_to(folder / clip)
    (view / BACKGROUND_FOLDER).mkdir(exist_ok=True)
    for noise in sorted((folder / BACKGROUND_FOLDER).glob("*.wav")):
        if not (view / BACKGROUND_FOLDER / noise.name).is_symlink():
            (view / BACKGROUND_FOLDER / noise.name).symlink_to(noise)
    (view / TESTING_LIST).write_text("".join(f"{clip}\n" for clip in chosen))
    return len(chosen)


def speech(*argv: str) -> None:
    subprocess.run([sys.executable, "-m", "apps.speech", *argv], check=True, cwd=ROOT,
                   env={**os.environ, **THREADS, "PYTHONPATH": str(ROOT)})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=Path, default=ROOT / "runs" / "speech-lofo")
    parser.add_argument("--per-word", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--learning-rate", type=float, default=1e-3, help="fine-tuning learning rate")
    parser.add_argument("--scratch-epochs", type=int, default=60)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    runs = args.runs.resolve()
    base = runs / "formant" / "model"
    lofo = json.loads((base / "config.json").read_text())["data"]
    folder = data.generated_folder(lofo.get("per_word", 400), lofo.get("seed", 0), show_progress=False)
    view = runs / "finetune" / "heldout"
    clips = heldout_view(folder, view, clip_roles(folder, lofo.get("per_word", 400), lofo.get("seed", 0)))
    small = runs / "finetune" / "user-data"
    if not (small / data.MANIFEST).is_file():
        speech("make-data", "--engines", "espeak", "--per-word", str(args.per_word), "--seed", "0", "--out", str(small),
               "--workers", "2", "--json")
    common = ["--data", str(small), "--config", "small", "--runs", str(runs / "finetune" / "runs")]
    tuned, scratch = f"fine_tuned-e{args.epochs}-lr{args.learning_rate:g}", f"scratch-e{args.scratch_epochs}"
    models = {"as_is": base, "fine_tuned": runs / "finetune" / tuned, "from_scratch": runs / "finetune" / scratch}
    if not (models["fine_tuned"] / "metrics.json").is_file():
        speech("train", *common, "--set", f"epochs={args.epochs}", "--set", f"learning_rate={args.learning_rate}",
               "--init", str(base), "--name", tuned, "--out", str(models["fine_tuned"]))
    if not (models["from_scratch"] / "metrics.json").is_file():
        speech("train", *common, "--set", f"epochs={args.scratch_epochs}", "--name", scratch,
               "--out", str(models["from_scratch"]))
    small_counts = json.loads((small / data.MANIFEST).read_text())["clips"]
    results = {name: evaluate_folder(path, view, "testing", backend="keras") for name, path in models.items()}
    summary = {"user_folder_clips": small_counts, "heldout_clips": clips, "epochs": args.epochs,
               "learning_rate": args.learning_rate, "scratch_epochs": args.scratch_epochs,
               "accuracy": {name: round(result["accuracy"], 4) for name, result in results.items()},
               "examples": results["as_is"]["examples"]}
    (runs / "finetune" / f"results-{tuned}.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary) if args.json else json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
