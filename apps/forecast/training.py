"""The train hook: one global model over the bundled series (or a user's CSV), per-series scaling."""
from __future__ import annotations

from typing import Any

import numpy as np

from apps.forecast import data
from apps.forecast.data import Scale, Series
from apps.forecast.metrics import QUANTILES
from apps.forecast.model import TOPOLOGY, KerasForecaster, build_kwargs
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
        scales[series.name] = data.fit_scale(series.values[:limit], config.horizon, series.season)
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
    scales = calibrate_intervals(KerasForecaster(model), all_series, scales, config)
    model_config = {"topology": TOPOLOGY, "model": kwargs, "context": config.context, "horizon": config.horizon,
                    "quantiles": list(QUANTILES),
                    "series": {s.name: series_config(s, scales[s.name], config.horizon) for s in all_series}}
    metrics = held_out_metrics(model, model_config, all_series)
    metrics["epochs_run"] = len(history.get("epoch", []))
    return Trained(model, model_config, metrics,
                   data={"source": run.data or "bundled", "series": [s.name for s in all_series],
                         "training_windows": int(len(inputs))})


# Validation origins per series for the interval calibration.
CALIBRATION_ORIGINS = 60


def calibrate_intervals(forecaster: KerasForecaster, all_series: list[Series], scales: dict[str, Scale],
                        config: ForecastConfig) -> dict[str, Scale]:
    """Conformalized quantile regression (Romano et al. 2019): on each series' validation origins, the pad
    that makes the 80% interval cover 80% there (negative when the model's intervals are too wide)."""
    from dataclasses import replace

    from apps.forecast.metrics import HIGH, INTERVAL, LOW
    from apps.forecast.model import to_quantiles

    padded = {}
    for series in all_series:
        scale = scales[series.name]
        at = data.validation_origins(len(series), config.horizon, config.context, CALIBRATION_ORIGINS)
        if at.size == 0:
            padded[series.name] = scale
            continue
        outputs = forecaster.last_outputs(data.context_inputs(series, scale, config.context, at))
        quantiles = to_quantiles(outputs, series.values, at, scale)
        actual = np.stack([series.values[o + 1:o + 1 + config.horizon] for o in at])
        conformity = np.maximum(quantiles[..., LOW] - actual, actual - quantiles[..., HIGH]) / scale.delta_scale
        level = min(1.0, INTERVAL * (1 + 1 / conformity.size))
        padded[series.name] = replace(scale, interval_pad=float(np.quantile(conformity, level)))
    return padded


def held_out_metrics(model: Any, config: dict[str, Any], all_series: list[Series]) -> dict[str, Any]:
    """The float model against the baselines on every series' rolling origins."""
    from apps.forecast.evaluation import evaluate_series, record, summary

    results = [evaluate_series(KerasForecaster(model), series, config) for series in all_series]
    return {"heldout": {r.series.name: record(r) for r in results}, "summary": summary(results)}
