"""Forecasting: a probabilistic recurrent forecaster beside naive, seasonal-naive and ETS baselines."""
