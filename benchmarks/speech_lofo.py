"""Leave one synthesis family out: train the keyword spotter on the other families, test on the held-out one.

    python benchmarks/speech_lofo.py [--per-word 400] [--seed 0] [--config small] [--set epochs=24 ...]
                                     [--families formant,diphone,statistical] [--runs runs/speech-lofo] [--json]
                                     [--train-min-snr DB] [--train-room-share SHARE]
                                     [--engines espeak,flite,festival,kokoro]

The generated folder (make-data with ``--engines``, by default espeak-ng, flite and festival; the cache folder
``train`` uses) is re-split by family into one view per held-out family, ``<runs>/<family>/data`` (symbolic
links, no copies):
- testing: every single-word clip of the held-out family, from all of make-data's splits (its carrier-phrase
  training clips are left out, so the test is plain Speech Commands-style words);
- validation: the other families' validation clips; training: their training clips (their test clips unused).
``--train-min-snr`` / ``--train-room-share`` make the training clips milder without regenerating: they leave out
training clips with noise below DB SNR, and keep only SHARE of the reverberant ones (chosen by a hash of the
clip's name); validation and testing stay as they are.
Then ``python -m apps.speech train --config <config> --data <view>`` trains on it (float held-out accuracy =
the held-out family); results go to ``<runs>/results.json`` and a markdown table is printed. Each run is
resumable (the framework's checkpoints), so an interrupted benchmark continues where it stopped.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apps.speech import data, dataset, engines  # noqa: E402
from apps.speech.labels import BACKGROUND_FOLDER, TESTING_LIST, VALIDATION_LIST  # noqa: E402

THREADS = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "1"}


def clip_roles(folder: Path, per_word: int, seed: int) -> dict[str, tuple[str, str, bool, data.ClipSpec]]:
    """{"word/file.wav": (family, make-data split, is a carrier phrase, its draws)} of every clip in a generated
    folder."""
    manifest = json.loads((folder / data.MANIFEST).read_text())
    _, words = data.plan(per_word, seed, tuple(manifest["engines"]))
    return {spec.relative_path: (spec.family, spec.split, bool(spec.carrier), spec)
            for specs in words for spec in specs}


def mild(spec: data.ClipSpec, min_snr: float | None, room_share: float) -> bool:
    """Whether a training clip passes ``--train-min-snr`` and ``--train-room-share``."""
    if min_snr is not None and spec.noise_kind is not None and spec.snr_db < min_snr:
        return False
    return spec.room is None or zlib.crc32(spec.relative_path.encode()) % 1000 < 1000 * room_share


def write_view(folder: Path, view: Path, held_out: str, roles: dict, min_snr: float | None = None,
               room_share: float = 1.0) -> dict[str, int]:
    """The held-out family's view of ``folder`` (links and list files); returns its clip counts per split."""
    view.mkdir(parents=True, exist_ok=True)
    lists: dict[str, list[str]] = {"training": [], "validation": [], "testing": []}
    for clip, (family, split, phrase, spec) in sorted(roles.items()):
        if family == held_out:
            role = None if phrase else "testing"
        else:
            role = split if split != "testing" else None
        if role == "training" and not mild(spec, min_snr, room_share):
            continue  # left out of every list (an unlisted clip would be training)
        if role is None:
            continue
        lists[role].append(clip)
        link = view / clip
        link.parent.mkdir(exist_ok=True)
        if not link.is_symlink():
            link.symlink_to(folder / clip)
    (view / BACKGROUND_FOLDER).mkdir(exist_ok=True)
    for noise in sorted((folder / BACKGROUND_FOLDER).glob("*.wav")):
        if not (view / BACKGROUND_FOLDER / noise.name).is_symlink():
            (view / BACKGROUND_FOLDER / noise.name).symlink_to(noise)
    (view / VALIDATION_LIST).write_text("".join(f"{clip}\n" for clip in lists["validation"]))
    (view / TESTING_LIST).write_text("".join(f"{clip}\n" for clip in lists["testing"]))
    return {split: len(clips) for split, clips in lists.items()}


def train(view: Path, run_root: Path, family: str, config: str, overrides: list[str]) -> dict:
    """Train (or resume) the held-out family's run; its metrics.json."""
    out = run_root / family / "model"
    if not (out / "metrics.json").is_file():
        command = [sys.executable, "-m", "apps.speech", "train", "--config", config, "--data", str(view),
                   "--runs", str(run_root / "runs"), "--name", family, "--out", str(out)]
        for override in overrides:
            command += ["--set", override]
        subprocess.run(command, check=True, cwd=ROOT, env={**os.environ, **THREADS, "PYTHONPATH": str(ROOT)})
    return json.loads((out / "metrics.json").read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-word", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", default="small")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="train overrides")
    parser.add_argument("--engines", default=",".join(engines.DEFAULT_ENGINES),
                        help="make-data engines (kokoro adds the neural family)")
    parser.add_argument("--families", default=None, help="held-out families (default: every family of the folder)")
    parser.add_argument("--runs", type=Path, default=ROOT / "runs" / "speech-lofo")
    parser.add_argument("--workers", type=int, default=2, help="make-data worker processes")
    parser.add_argument("--train-min-snr", type=float, default=None, help="leave out noisier training clips")
    parser.add_argument("--train-room-share", type=float, default=1.0, help="share of reverberant training clips kept")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    engine_names = tuple(args.engines.split(","))
    folder = data.generated_folder(args.per_word, args.seed, workers=args.workers, show_progress=not args.json,
                                   engine_names=engine_names)
    roles = clip_roles(folder, args.per_word, args.seed)
    families = args.families.split(",") if args.families else [
        family for family in engines.FAMILIES if any(role[0] == family for role in roles.values())]
    results = {}
    for family in families:
        view = args.runs.resolve() / family / "data"
        counts = write_view(folder, view, family, roles, args.train_min_snr, args.train_room_share)
        metrics = train(view, args.runs.resolve(), family, args.config, args.set)
        results[family] = {"clips": counts, "heldout_accuracy_float": metrics["heldout_accuracy_float"],
                           "heldout_examples": metrics["heldout_examples"],
                           "validation_accuracy_float": metrics.get("validation_accuracy_float"),
                           "per_class": metrics["heldout_per_class_accuracy_float"]}
    accuracies = [result["heldout_accuracy_float"] for result in results.values()]
    summary = {"folder": str(folder), "engines": list(engine_names), "config": args.config, "overrides": args.set,
               "families": results, "train_min_snr": args.train_min_snr,
               "train_room_share": args.train_room_share,
               "mean_heldout_accuracy_float": round(sum(accuracies) / len(accuracies), 4)}
    (args.runs / "results.json").write_text(json.dumps(summary, indent=2) + "\n")
    if args.json:
        print(json.dumps(summary))
        return 0
    print("| held-out family | test clips | accuracy (float) | validation (other families) |\n|---|---|---|---|")
    for family, result in results.items():
        print(f"| {family} | {result['heldout_examples']} | {100 * result['heldout_accuracy_float']:.2f}% | "
              f"{100 * (result['validation_accuracy_float'] or 0):.2f}% |")
    print(f"| mean | | {100 * summary['mean_heldout_accuracy_float']:.2f}% | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
