"""The train hook: one global model over the bundled series (or a user's CSV), per-series scaling."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from apps.forecast import data
from apps.forecast.data import Scale, Series
from apps.forecast.metrics import HIGH, INTERVAL, LOW, MEDIAN, QUANTILES
from apps.forecast.model import TOPOLOGY, KerasForecaster, build_kwargs, quantiles_from
from apps.forecast.presets import ForecastConfig
from suite.app import Trained, TrainRun
from suite.errors import UserError


def series_config(series: Series, scale: Scale, horizon: int) -> dict[str, Any]:
    """What inference needs about one training series (saved in config.json)."""
    return {**scale.to_dict(), "season": series.season, "unit": series.unit, "source": series.source,
            "length": len(series), "test_start": data.test_start(len(series), horizon)}


def training_set(all_series: list[Series], config: ForecastConfig,
                 seed: int) -> tuple[np.ndarray, np.ndarray, dict[str, Scale]]:
    """Windows from every series' training part, the same number from each."""
    rng = np.random.default_rng(seed)
    scales, inputs, targets = {}, [], []
    for series in all_series:
        limit = data.validation_start(len(series), config.horizon)
        if limit < config.context + config.horizon:
            raise UserError(f"{series.source or series.name}: {series.name}: {len(series)} values leave {limit} for "
                            f"training, fewer than context + horizon = {config.context + config.horizon}")
        scales[series.name] = data.fit_scale(series.values[:limit], config.horizon, series.season,
                                             vol_window=config.context)
        x, y = data.training_windows(series, scales[series.name], config.context, config.horizon,
                                     config.windows_per_series, rng, limit=limit)
        inputs.append(x)
        targets.append(y)
    return np.concatenate(inputs), np.concatenate(targets), scales


def initial_bias(targets: np.ndarray, warmup: int) -> np.ndarray:
    """The output layer's starting bias: the training targets' own 10/50/90% quantiles per horizon step, so
    the intervals start calibrated instead of collapsed at zero width."""
    per_step = targets[:, warmup:].reshape(-1, targets.shape[-1])
    return np.quantile(per_step, QUANTILES, axis=0).T.reshape(-1).astype(np.float32)


def pinball_loss(horizon: int, warmup: int):
    """Mean pinball loss of the 10/50/90% quantile outputs, skipping each window's first ``warmup`` steps."""
    from suite.keras import tf

    levels = tf.constant(QUANTILES, tf.float32)

    def quantile_loss(y_true, y_pred):
        shape = tf.concat([tf.shape(y_pred)[:2], [horizon, len(QUANTILES)]], axis=0)
        error = y_true[:, warmup:, :, None] - tf.reshape(y_pred, shape)[:, warmup:]
        return tf.reduce_mean(tf.maximum(levels * error, (levels - 1.0) * error))

    return quantile_loss


def train(run: TrainRun) -> Trained:
    from suite import build_model
    from suite.keras import tf
    from suite.training import fit, seed_everything, train_config_of

    config: ForecastConfig = run.config
    all_series = data.load_source(run.data, list(config.series) or None)
    seed_everything(config.seed)
    inputs, targets, scales = training_set(all_series, config, config.seed)
    dataset = (tf.data.Dataset.from_tensor_slices((inputs, targets)).shuffle(len(inputs), seed=config.seed)
               .batch(config.batch_size))
    kwargs = build_kwargs(config.cell, config.units, config.layers, config.horizon)
    bias = initial_bias(targets, config.warmup)

    def build() -> Any:
        model = build_model(TOPOLOGY, **kwargs)
        output = model.get_layer("output")
        output.set_weights([output.get_weights()[0], bias])
        return model

    model, history = fit(build, dataset, None, run.run_dir,
                         train_config_of(config), pinball_loss(config.horizon, config.warmup),
                         strategy=run.strategy, verbose=2 if run.verbose else 0)
    scales = calibrate(KerasForecaster(model), all_series, scales, config)
    model_config = {"topology": TOPOLOGY, "model": kwargs, "context": config.context, "horizon": config.horizon,
                    "quantiles": list(QUANTILES),
                    "series": {s.name: series_config(s, scales[s.name], config.horizon) for s in all_series}}
    metrics = held_out_metrics(model, model_config, all_series)
    metrics["epochs_run"] = len(history.get("epoch", []))
    return Trained(model, model_config, metrics,
                   data={"source": run.data or "bundled", "series": [s.name for s in all_series],
                         "training_windows": int(len(inputs))})


# Validation origins per series for the blend and interval calibration.
CALIBRATION_ORIGINS = 200
# Weights of the model's offsets tried on validation (0: the base forecast alone).
BLENDS = (0.0, 0.25, 0.5, 0.75, 1.0)
# One-sided 95% normal quantile: how far a blend must beat the base on validation to be kept.
SIGNIFICANCE = 1.645
# Fewest conformity scores behind one horizon step's pad: a short series pools neighbouring steps.
MIN_SCORES = 40


def calibrate(forecaster: KerasForecaster, all_series: list[Series], scales: dict[str, Scale],
              config: ForecastConfig) -> dict[str, Scale]:
    """Per series, on its validation origins: the blend of model and base forecast, then the interval pads."""
    calibrated = {}
    for series in all_series:
        scale = scales[series.name]
        at = data.validation_origins(len(series), config.horizon, config.context, CALIBRATION_ORIGINS)
        if at.size == 0:
            calibrated[series.name] = scale
            continue
        outputs = forecaster.last_outputs(data.context_inputs(series, scale, config.context, at))
        base = data.base_forecast(series.values, at, config.horizon, scale.base_lags)
        actual = data.validation_actual(series.values, at, config.horizon)
        calibrated[series.name] = recalibrate(outputs, base, actual, scale, independent_origins(at, config.horizon),
                                              scale.volatility_ratio(series.values, at))
    return calibrated


def independent_origins(at: np.ndarray, horizon: int) -> float:
    """How many independent forecasts the origins ``at`` are worth: origins closer than a horizon overlap."""
    return float(min(len(at), max((at[-1] - at[0]) / horizon, 1.0)))


def recalibrate(outputs: np.ndarray, base: np.ndarray, actual: np.ndarray, scale: Scale,
                independent: float | None = None, ratio: np.ndarray | None = None) -> Scale:
    """The blend (choose_blend), then per horizon step the conformalized quantile regression pad (Romano et al.
    2019) that makes the 80% interval cover 80% of ``actual`` (NaN: not observed) there; negative when the
    model's intervals are too wide. With the (N,) local volatility ``ratio`` of each origin, the conformity
    scores are normalised by it (Lei et al. 2018), so the pad is in units of the usual volatility."""
    blend = choose_blend(outputs, base, actual, scale, len(actual) if independent is None else independent)
    return replace(scale, blend=blend, interval_pad=interval_pads(outputs, base, actual, replace(scale, blend=blend),
                                                                  ratio))


def interval_pads(outputs: np.ndarray, base: np.ndarray, actual: np.ndarray, scale: Scale,
                  ratio: np.ndarray | None = None) -> tuple[float, ...]:
    """Per horizon step, the conformal pad of ``scale``'s forecasts (its blend, no pad) on the observed ``actual``,
    the scores normalised by the (N,) local volatility ``ratio``."""
    ratio = np.ones(len(actual)) if ratio is None else np.asarray(ratio, float)
    quantiles = quantiles_from(outputs, base, replace(scale, interval_pad=(0.0,), floor=None), ratio)
    outside = np.maximum(quantiles[..., LOW] - actual, actual - quantiles[..., HIGH])
    return tuple(conformal_pads(outside / (scale.delta_scale * ratio[:, None])))


def choose_blend(outputs: np.ndarray, base: np.ndarray, actual: np.ndarray, scale: Scale,
                 independent: float) -> float:
    """The blend with the smallest mean absolute error of the median on the observed ``actual``, kept only when
    its mean gain per origin over the bias-corrected base (blend 0) exceeds SIGNIFICANCE standard errors, with
    the origins worth ``independent`` forecasts. A short series (sunspots: 31 validation years, not two
    independent 24-year horizons) thus falls back to the base unless the model clearly helps."""
    observed = np.isfinite(actual)
    errors = {blend: np.abs(actual - quantiles_from(outputs, base, replace(scale, blend=blend))[..., MEDIAN])
              for blend in BLENDS}
    best = min(BLENDS, key=lambda blend: float(errors[blend][observed].mean()))
    gain = np.nanmean(errors[0.0] - errors[best], axis=1)
    standard_error = float(gain.std()) / np.sqrt(independent)
    return best if gain.mean() > SIGNIFICANCE * standard_error else 0.0


def conformal_pads(scores: np.ndarray, min_scores: int = MIN_SCORES) -> np.ndarray:
    """(horizon,) per step the ceil((n + 1) 0.8) / n quantile of the (origins, horizon) conformity scores
    (NaN: not observed) at that step and as many neighbouring steps as it takes to hold ``min_scores``."""
    horizon = scores.shape[1]
    pads = np.zeros(horizon)
    for step in range(horizon):
        for radius in range(horizon):
            near = scores[:, max(step - radius, 0):step + radius + 1]
            pooled = near[np.isfinite(near)]
            if pooled.size >= min_scores:
                break
        if pooled.size:
            level = min(1.0, np.ceil((pooled.size + 1) * INTERVAL) / pooled.size)
            pads[step] = np.quantile(pooled, level)
    return pads


def held_out_metrics(model: Any, config: dict[str, Any], all_series: list[Series]) -> dict[str, Any]:
    """The float model against the baselines on every series' rolling origins."""
    from apps.forecast.evaluation import evaluate_series, record, summary

    results = [evaluate_series(KerasForecaster(model), series, config) for series in all_series]
    return {"heldout": {r.series.name: record(r) for r in results}, "summary": summary(results)}
