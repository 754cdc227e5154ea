"""The vitals app's contract: hourly deterioration (sepsis) risk from PhysioNet 2019 PSV ICU stays."""
from __future__ import annotations

from suite.app import SEQUENCE_AND_STEP, declare, lazy

APP = declare(
    "vitals",
    description="Hourly deterioration (sepsis) risk from PhysioNet 2019 PSV ICU stays, with NEWS2 side by side. "
                "A research tool, not a medical device: never use it for patient care.",
    task="risk",
    data_help="a folder of labelled PSV files (default: the preset's simulated cohort, see prepare-data)",
    exports=SEQUENCE_AND_STEP,
    after_export=lazy("apps.vitals.calibration:streamed_check"),
)
