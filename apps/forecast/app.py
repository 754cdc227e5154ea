"""The forecast app's contract with the framework (no TensorFlow at import)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from suite.app import SEQUENCE_AND_STEP, declare

# The issue's device goal: the int8 files' MASE at most 2% above the float model's, on the same origins.
MAX_RELATIVE_MASE_INCREASE = 0.02


def after_export(model_dir: Path, reports: dict[str, dict]) -> dict[str, Any]:
    """The app-level gate: every exported file's mean MASE over the bundled series' rolling origins
    against the float model's (``mase_gate`` in metrics.json; a failure is reported on stderr)."""
    import sys

    from apps.forecast.export_check import mase_gate

    gate = mase_gate(model_dir, list(reports), MAX_RELATIVE_MASE_INCREASE)
    for name, entry in gate.items():
        if not entry["passed"]:
            print(f"error: {name}: int8 MASE {entry['export_mase']:.4f} is {100 * entry['increase']:.2f}% above "
                  f"float {entry['float_mase']:.4f} (gate {100 * MAX_RELATIVE_MASE_INCREASE:.0f}%)", file=sys.stderr)
    return {"mase_gate": gate}


APP = declare(
    "forecast",
    description="probabilistic recurrent forecaster (10/50/90% quantiles) beside naive, seasonal-naive and ETS",
    task="regression",
    data_help="a CSV with a time column and value columns (default: the 7 bundled series)",
    exports=SEQUENCE_AND_STEP,
    after_export=after_export,
)
