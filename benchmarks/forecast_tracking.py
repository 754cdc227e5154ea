"""Online interval tracking (apps/forecast/tracking.py), per rate: how it was chosen for ``monitor``, and an
experiment with it in ``evaluate``'s rolling forecasts that was measured and not shipped.

``--monitor`` (shipped): every bundled series streamed through ``monitor`` as a user's file (scaling fitted on
the warm-up, the model's default pads) with the shipped step_int8.tflite; per rate, the share of checked values
outside the one-step 80% interval (nominal 0.2) and the one-step quantile loss, before the held-out end (the
rate is chosen there: the smallest mean quantile loss relative to no tracking) and on the held-out end.

``--exponents`` (measured, not shipped): the local volatility ratio that scales ``evaluate``'s intervals raised to
each power (1: shipped, 0: unscaled pads), the pads recalibrated for each, on the same two checks and on the
held-out origins (pads from every validation origin, as training calibrates them); no tracking.

Default (not shipped): the calibrated forecasts of ``evaluate`` tracked from the validation part on, on two
checks that use no held-out data and on the held-out origins: (1) pads calibrated on the span of training
just before validation (the model is in-sample there), counted at every validation origin; (2) pads
calibrated on the first half of the validation origins, counted on the second half.

    python benchmarks/forecast_tracking.py [--monitor] [--model DIR] [--rates 0 0.01 0.03 0.1 0.3] [--json]
    python benchmarks/forecast_tracking.py --exponents 1 0.75 0.5 0
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RATES = (0.0, 0.01, 0.03, 0.1, 0.3, 0.5, 1.0)
CHECKS = ("check1", "check2", "heldout")


def track(quantiles: np.ndarray, values: np.ndarray, widths: np.ndarray, rate: float,
          floor: float | None = None) -> np.ndarray:
    """(T, horizon, 3) forecasts made after each of T consecutive ``values``, their bounds moved online."""
    from apps.forecast.tracking import IntervalTracker

    tracker = IntervalTracker(quantiles.shape[1], rate, floor)
    adjusted = np.empty_like(np.asarray(quantiles, float))
    for t, (value, width) in enumerate(zip(values, widths)):
        tracker.observe(float(value))
        adjusted[t] = tracker.adjust(quantiles[t], float(width))
    return adjusted


def actual_until(values: np.ndarray, at: np.ndarray, horizon: int, limit: int) -> np.ndarray:
    """(len(at), horizon) what followed each origin, NaN from ``limit`` on."""
    index = at[:, None] + np.arange(1, horizon + 1)[None]
    return np.where(index < limit, values[np.minimum(index, len(values) - 1)], np.nan)


def scores(quantiles: np.ndarray, actual: np.ndarray, scale: float) -> tuple[float, float]:
    from apps.forecast.metrics import coverage, quantile_loss

    seen = np.isfinite(actual)
    return coverage(actual[seen], quantiles[seen]), quantile_loss(actual[seen], quantiles[seen], scale)


def check(forecaster, series, scale, config, calibrate: tuple[int, int], count: tuple[int, int], limit: int,
          rates, at_only: np.ndarray | None = None) -> dict[float, tuple[float, float]]:
    """Pads from every origin in ``calibrate`` (outcomes masked at its end; an empty span keeps the saved pads),
    tracking from its start, coverage and quantile loss at the origins in ``count`` (outcomes masked at
    ``limit``) or at ``at_only``."""
    from apps.forecast import data
    from apps.forecast.metrics import mase_scale
    from apps.forecast.model import to_quantiles
    from apps.forecast.training import interval_pads

    context, horizon = int(config["context"]), int(config["horizon"])
    every = np.arange(max(calibrate[0], context - 1), count[1])
    outputs = forecaster.last_outputs(data.context_inputs(series, scale, context, every))
    ratio = scale.volatility_ratio(series.values, every)
    if calibrate[1] > calibrate[0]:
        inside = every < calibrate[1]
        base = data.base_forecast(series.values, every[inside], horizon, scale.base_lags)
        pads = interval_pads(outputs[inside], base, actual_until(series.values, every[inside], horizon, calibrate[1]),
                             scale, ratio[inside])
        scale = replace(scale, interval_pad=pads)
    quantiles = to_quantiles(outputs, series.values, every, scale)
    actual = actual_until(series.values, every, horizon, limit)
    pick = (every >= count[0]) if at_only is None else np.isin(every, at_only)
    mscale = mase_scale(series.values[:data.test_start(len(series), horizon)], series.season)
    return {rate: scores(track(quantiles, series.values[every], scale.delta_scale * ratio, rate, scale.floor)[pick],
                         actual[pick], mscale) for rate in rates}


def spans(n: int, context: int, horizon: int, calibrate_heldout: bool) -> dict[str, tuple]:
    """Per check: (calibration span, counted span, outcome limit, the only origins counted or None). The
    held-out origins keep the saved pads, or with ``calibrate_heldout`` get pads from every validation origin."""
    from apps.forecast import data
    from apps.forecast.evaluation import DEFAULT_ORIGINS

    start, end = data.validation_start(n, horizon), data.test_start(n, horizon)
    before, middle = max(start - (end - start), context - 1), (start + end) // 2
    heldout_pads = (start - 1, end - 1) if calibrate_heldout else (start - 1, start - 1)
    return {"check1": ((before, start), (start - 1, end - 1), end, None),
            "check2": ((start - 1, middle), (middle, end - 1), end, None),
            "heldout": (heldout_pads, (start - 1, n - horizon), n, data.origins(n, horizon, context, DEFAULT_ORIGINS))}


def measure(model_dir: Path, scores_of, calibrate_heldout: bool = False) -> dict[str, dict[str, dict]]:
    """Per series and check, ``scores_of(forecaster, series, scale, config, span)``."""
    from apps.forecast import data
    from apps.forecast.evaluation import scale_for
    from apps.forecast.model import KerasForecaster
    from suite.app.models import read_config_json

    config = read_config_json(model_dir)
    forecaster = KerasForecaster.load(model_dir)
    context, horizon = int(config["context"]), int(config["horizon"])
    return {series.name: {name: scores_of(forecaster, series, scale_for(series, config), config, span)
                          for name, span in spans(len(series), context, horizon, calibrate_heldout).items()}
            for series in data.series_from_config(config)}


def tracked(rates):
    """Scores per tracking rate."""
    return lambda forecaster, series, scale, config, span: check(forecaster, series, scale, config, *span[:3], rates,
                                                                 at_only=span[3])


def powered(exponents):
    """Scores per power of the volatility ratio, untracked."""
    return lambda forecaster, series, scale, config, span: {
        e: check(forecaster, series, damped(scale, e), config, *span[:3], [0.0], at_only=span[3])[0.0]
        for e in exponents}


def damped(scale, exponent: float):
    """``scale`` whose local volatility ratio is raised to ``exponent``."""
    from dataclasses import dataclass, fields

    from apps.forecast.data import Scale

    @dataclass(frozen=True)
    class DampedScale(Scale):
        exponent: float = 1.0

        def volatility_ratio(self, values, at):
            return super().volatility_ratio(values, at) ** self.exponent

    return DampedScale(**{f.name: getattr(scale, f.name) for f in fields(scale)}, exponent=exponent)


def summary(results, rates, reference: float = 0.0) -> dict[str, dict[float, dict[str, float]]]:
    """Per check and rate: series with coverage in 75-85%, summed |coverage - 0.8|, mean quantile loss
    relative to the ``reference`` rate (0: no tracking) or exponent (1: shipped)."""
    table = {}
    for name in CHECKS:
        table[name] = {}
        for rate in rates:
            cover = np.array([r[name][rate][0] for r in results.values()])
            loss = np.array([r[name][rate][1] / r[name][reference][1] for r in results.values()])
            table[name][rate] = {"in_75_85": int(((cover >= 0.75) & (cover <= 0.85)).sum()),
                                 "coverage_error": round(float(np.abs(cover - 0.8).sum()), 3),
                                 "relative_quantile_loss": round(float(loss.mean()), 4)}
    return table


def monitor_measure(model_dir: Path, rates) -> dict[str, dict[str, dict[float, dict[str, float]]]]:
    """Per series and rate, ``monitor``'s checked values before and on the held-out end: share outside the
    one-step 80% interval, above it, below it, and the one-step quantile loss (MASE-scaled)."""
    from apps.forecast import data
    from apps.forecast.inference import default_warmup, monitor_scale, monitor_stream
    from apps.forecast.metrics import mase_scale
    from apps.forecast.model import STEP_FILE, step_runtime
    from apps.forecast.tracking import IntervalTracker
    from suite.app.models import resolve_model

    ref = resolve_model("forecast", model_dir, STEP_FILE, "tflite")
    stepper = step_runtime(ref)
    horizon = int(ref.config["horizon"])
    results = {}
    for name in data.BUNDLED:
        series = data.load_bundled(name)
        warmup = default_warmup(ref.config, [series])
        scale = monitor_scale(series, ref.config, warmup)
        end = data.test_start(len(series), horizon)
        mscale = mase_scale(series.values[:end], series.season)
        results[name] = {}
        for rate in rates:
            updates = [u for u in monitor_stream(stepper, series, scale, warmup, horizon,
                                                 IntervalTracker(horizon, rate, scale.floor)) if u.expected is not None]
            index = np.array([u.index for u in updates])
            value = np.array([u.value for u in updates])
            expected = np.stack([u.expected for u in updates])
            results[name][rate] = {part: stream_scores(value[pick], expected[pick], mscale)
                                   for part, pick in (("before", index < end), ("heldout", index >= end))}
    return results


def stream_scores(value: np.ndarray, expected: np.ndarray, scale: float) -> dict[str, float]:
    from apps.forecast.metrics import HIGH, LOW, quantile_loss

    above, below = float(np.mean(value > expected[:, HIGH])), float(np.mean(value < expected[:, LOW]))
    return {"outside": round(above + below, 4), "above": round(above, 4), "below": round(below, 4),
            "quantile_loss": round(quantile_loss(value, expected, scale), 5)}


def monitor_report(results, rates, as_json: bool) -> None:
    relative = {part: {rate: float(np.mean([r[rate][part]["quantile_loss"] / r[0.0][part]["quantile_loss"]
                                            for r in results.values()])) for rate in rates}
                for part in ("before", "heldout")}
    chosen = min(rates, key=lambda rate: relative["before"][rate])
    if as_json:
        print(json.dumps({"series": {s: {str(r): v for r, v in per.items()} for s, per in results.items()},
                          "relative_quantile_loss": {p: {str(r): round(v, 4) for r, v in per.items()}
                                                     for p, per in relative.items()}, "chosen_rate": chosen}))
        return
    for name, per in results.items():
        print(name)
        for part in ("before", "heldout"):
            print(f"  {part:8} " + "  ".join(f"{r:g}: outside {v[part]['outside']:.3f} (above {v[part]['above']:.3f}) "
                                             f"QL {v[part]['quantile_loss']:.4f}" for r, v in per.items()))
    for part in ("before", "heldout"):
        print(f"{part}: mean QL relative to fixed intervals: "
              + ", ".join(f"rate {r:g} {v:.4f}" for r, v in relative[part].items()))
    print(f"chosen before the held-out ends (smallest mean relative QL): rate {chosen:g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model directory (default: the shipped forecast model)")
    parser.add_argument("--rates", type=float, nargs="+", default=list(RATES))
    parser.add_argument("--monitor", action="store_true", help="the shipped use: monitor's streams")
    parser.add_argument("--exponents", type=float, nargs="+", help="powers of the volatility ratio to compare")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from suite.app import shipped_model_dir

    rates = sorted({0.0, *args.rates})
    if args.monitor:
        monitor_report(monitor_measure(Path(args.model) if args.model else shipped_model_dir("forecast"), rates),
                       rates, args.json)
        return
    model_dir = Path(args.model) if args.model else shipped_model_dir("forecast")
    if args.exponents:
        exponents = sorted({1.0, *args.exponents}, reverse=True)
        report(measure(model_dir, powered(exponents), calibrate_heldout=True), exponents, "exponent", args.json,
               reference=1.0)
        return
    report(measure(model_dir, tracked(rates)), rates, "rate", args.json)


def report(results, rates, what: str, as_json: bool, reference: float = 0.0) -> None:
    table = summary(results, rates, reference)
    chosen = min(rates, key=lambda r: table["check1"][r]["relative_quantile_loss"]
                 + table["check2"][r]["relative_quantile_loss"])
    if as_json:
        print(json.dumps({"series": {s: {c: {str(r): [round(v, 4) for v in x] for r, x in per.items()}
                                         for c, per in checks.items()} for s, checks in results.items()},
                          "summary": {c: {str(r): v for r, v in per.items()} for c, per in table.items()},
                          f"chosen_{what}": chosen}))
        return
    for name, checks in results.items():
        print(name)
        for c in CHECKS:
            print(f"  {c:8} " + "  ".join(f"{r:g}: cov {cov:.3f} QL {ql:.3f}" for r, (cov, ql) in checks[c].items()))
    for c in CHECKS:
        print(c + ": " + "; ".join(f"{what} {r:g}: {v['in_75_85']} of {len(results)} in 75-85%, coverage error "
                                   f"{v['coverage_error']}, relative QL {v['relative_quantile_loss']}"
                                   for r, v in table[c].items()))
    print(f"chosen on checks 1 and 2 (smallest mean relative QL): {what} {chosen:g}")


if __name__ == "__main__":
    main()
