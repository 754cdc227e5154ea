"""The fan chart: the model's last held-out forecast of each series against what happened."""
from __future__ import annotations

from pathlib import Path

from apps.forecast.evaluation import SeriesForecasts
from apps.forecast.metrics import HIGH, LOW, MEDIAN
from suite.atomic import atomic_path

HISTORY_SHOWN = 3   # horizons of history drawn before the forecast origin
TITLE_ROOM = 0.98   # share of the figure's height left to the panels below the overall title

def fan_chart(results: list[SeriesForecasts], path: Path, model_name: str) -> Path:
    """One panel per series: history, outcome, model median with its 80% band, seasonal naive."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(results), 1, figsize=(9, 2.6 * len(results)), squeeze=False)
    for axis, result in zip(axes[:, 0], results):
        _panel(axis, result)
    figure.suptitle(f"{model_name}: last held-out forecast per series (80% interval)")
    figure.tight_layout(rect=(0, 0, 1, TITLE_ROOM))
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=80, format="png")
    plt.close(figure)
    return path

def _panel(axis, result: SeriesForecasts) -> None:
    series, origin = result.series, int(result.origins[-1])
    horizon = result.actual.shape[1]
    start = max(0, origin + 1 - HISTORY_SHOWN * horizon)
    future = series.times[origin + 1:origin + 1 + horizon]
    model = result.forecasts["model"][-1]
    axis.plot(series.times[start:origin + 1], series.values[start:origin + 1], color="black", label="history")
    axis.plot(future, result.actual[-1], color="black", linestyle="--", label="what happened")
    axis.fill_between(future, model[:, LOW], model[:, HIGH], color="tab:blue", alpha=0.25, label="model 80% interval")
    axis.plot(future, model[:, MEDIAN], color="tab:blue", label="model median")
    axis.plot(future, result.forecasts["seasonal_naive"][-1][:, MEDIAN], color="tab:orange", linestyle=":",
              label="seasonal naive")
    axis.set_title(f"{series.name} (MASE model {result.scores['model']['mase']:.2f}, "
                   f"seasonal naive {result.scores['seasonal_naive']['mase']:.2f})", fontsize=9)
    axis.set_xlabel("time")
    axis.set_ylabel(f"{series.name} ({series.unit or 'value'})")
    axis.legend(fontsize=7, loc="upper left")
    axis.tick_params(labelsize=7)

