"""Forecasting per interval: methods, backtests, automatic choice, saved versions."""
