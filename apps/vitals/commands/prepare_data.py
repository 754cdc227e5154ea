"""``prepare-data`` (alias ``simulate``): write simulated ICU stays in the PhysioNet 2019 PSV format.

Without ``--out`` it prepares the training cohort of ``--config PRESET`` in the app's cache
(``suite.app.cache_dir("vitals")``), exactly what ``train --config PRESET`` reads; with ``--out DIR`` it
writes the stays there (the old ``simulate --out DIR --patients N`` still works).
"""
from __future__ import annotations

import argparse

from apps.vitals.commands import show_progress
from suite.app import cli_of
from suite.cli import add_json_option, emit
from suite.errors import UserError

app = cli_of(__name__)


def _arguments(parser: argparse.ArgumentParser) -> None:
    from apps.vitals.presets import DEFAULT_PRESET, PRESETS
    from apps.vitals.simulate import SETTINGS

    parser.add_argument("--config", default=DEFAULT_PRESET, choices=list(PRESETS), metavar="PRESET",
                        help=f"the preset whose training cohort to prepare (default {DEFAULT_PRESET}); "
                             "it gives --patients, --seed and --setting their defaults")
    parser.add_argument("--out", metavar="DIR",
                        help="folder to write NAME.psv files into (atomically; default: the training cache)")
    parser.add_argument("--patients", type=int, help="number of ICU stays (default: the preset's train_patients)")
    parser.add_argument("--seed", type=int, help="random seed; same seed, same stays (default: the preset's data_seed)")
    parser.add_argument("--setting", choices=sorted(SETTINGS),
                        help="hospital_a, or hospital_b as a differently run second hospital (default: the preset's)")
    add_json_option(parser)


@app.command("prepare-data", help="write simulated ICU stays as PSV files (default: the preset's training cohort)",
             arguments=_arguments, aliases=("simulate",))
def prepare_data_command(args: argparse.Namespace) -> int:
    from apps.vitals import data
    from apps.vitals.presets import PRESETS
    from apps.vitals.simulate import simulate_cohort, write_cohort

    preset = PRESETS[args.config].config
    patients = preset.train_patients if args.patients is None else args.patients
    seed = preset.data_seed if args.seed is None else args.seed
    setting = args.setting or preset.setting
    if patients < 1:
        raise UserError(f"--patients: must be at least 1, got {patients}")
    out = args.out or data.training_cohort_dir(setting, patients, seed)
    stays = simulate_cohort(patients, seed, setting, show_progress=show_progress(args.json))
    manifest = data.cohort_manifest(setting, seed, stays)
    write_cohort(out, stays, manifest)
    emit({"out": str(out), **manifest}, args.json,
         f"wrote {patients} stays ({manifest['septic']} septic, {manifest['hours']} hours) to {out}")
    return 0
