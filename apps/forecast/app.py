"""The forecast app's contract with the framework (no TensorFlow at import)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from export.tasks import MAX_RELATIVE_MASE_INCREASE  # the device goal: int8 MASE at most 2% above float
from suite.app import SEQUENCE_AND_STEP, declare


def after_export(model_dir: Path, reports: dict[str, dict]) -> dict[str, Any]:
    """The app-level gate: every exported file's MASE on each series' rolling origins against the float
    model's (``mase_gate`` in metrics.json; a failure is reported on stderr and fails the export)."""
    import sys

    from apps.forecast.export_check import mase_gate

    gate = mase_gate(model_dir, list(reports), MAX_RELATIVE_MASE_INCREASE)
    for name, entry in gate.items():
        if not entry["passed"]:
            worst = entry["worst_series"]
            print(f"error: {name}: int8 MASE on {worst} is {100 * entry['series_increase'][worst]:.2f}% above "
                  f"float (gate {100 * MAX_RELATIVE_MASE_INCREASE:.0f}% on every series)", file=sys.stderr)
    return {"mase_gate": gate}


APP = declare(
    "forecast",
    description="probabilistic recurrent forecaster (10/50/90% quantiles) beside naive, seasonal-naive and ETS",
    task="forecast",
    data_help="a CSV with a time column and value columns (default: the 7 bundled series)",
    exports=SEQUENCE_AND_STEP,
    after_export=after_export,
)
