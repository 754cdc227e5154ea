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
        limit = data.test_start(len(series), config.horizon)
        if limit < config.context + config.horizon:
            raise UserError(f"{series.source or series.name}: {series.name}: {len(series)} values leave {limit} for "
                            f"training, fewer than context + horizon = {config.context + config.horizon}")
        scales[series.name] = data.fit_scale(series.values[:limit], config.horizon, series.season)
        x, y = data.training_windows(series, scales[series.name], config.context, config.horizon,
                                     config.windows_per_series, rng)
        inputs.append(x)
        targets.append(y)
    return np.concatenate(inputs), np.concatenate(targets), scales


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
    model, history = fit(lambda: build_model(TOPOLOGY, **kwargs), dataset, None, run.run_dir,
                         train_config_of(config), pinball_loss(config.horizon, config.warmup),
                         strategy=run.strategy, verbose=2 if run.verbose else 0)
    model_config = {"topology": TOPOLOGY, "model": kwargs, "context": config.context, "horizon": config.horizon,
                    "quantiles": list(QUANTILES),
                    "series": {s.name: series_config(s, scales[s.name], config.horizon) for s in all_series}}
    metrics = held_out_metrics(model, model_config, all_series)
    metrics["epochs_run"] = len(history.get("epoch", []))
    return Trained(model, model_config, metrics,
                   data={"source": run.data or "bundled", "series": [s.name for s in all_series],
                         "training_windows": int(len(inputs))})


def held_out_metrics(model: Any, config: dict[str, Any], all_series: list[Series]) -> dict[str, Any]:
    """The float model against the baselines on every series' rolling origins."""
    from apps.forecast.evaluation import evaluate_series, record, summary

    results = [evaluate_series(KerasForecaster(model), series, config) for series in all_series]
    return {"heldout": {r.series.name: record(r) for r in results}, "summary": summary(results)}
