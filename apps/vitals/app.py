"""The vitals app's contract: hourly deterioration (sepsis) risk from PhysioNet 2019 PSV ICU stays."""
from __future__ import annotations

from apps.vitals.presets import DEFAULT_PRESET, PRESETS
from suite.app import SEQUENCE_AND_STEP, AppSpec, lazy

APP = AppSpec(
    name="vitals",
    description="Hourly deterioration (sepsis) risk from PhysioNet 2019 PSV ICU stays, with NEWS2 side by side. "
                "A research tool, not a medical device: never use it for patient care.",
    task="risk",
    presets=PRESETS,
    default_preset=DEFAULT_PRESET,
    train=lazy("apps.vitals.training:train"),
    data_help="a folder of labelled PSV files (default: the preset's simulated cohort, see prepare-data)",
    exports=SEQUENCE_AND_STEP,
    after_export=lazy("apps.vitals.calibration:streamed_check"),
)
