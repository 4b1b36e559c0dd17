"""Forecast accuracy on the real bank series (../shared/data/us_bank_2003_{5,15,30}min.csv).

Every method side by side, rolling weekly origins, WAPE per interval for the day ahead, week 1
(days 1-7 ahead) and week 2 (days 8-14 ahead), pooled over the origins:

- the README's origins: 5 Mondays from 2003-09-15 (the baselines must reproduce its figures:
  same slot last week 10.6 / 9.9 %, 4-week mean 8.9 / 9.1 % at 5 min);
- an earlier, untouched set: 5 Mondays from 2003-07-07, to show that the top-down settings (chosen
  on the README's origins) hold on other weeks.

The data is real (see ../shared/data/README.md) and is read in place, never copied; the script
skips with a message where the folder is absent.

Usage: .venv/bin/python bench/bench_forecast_bank.py [--minutes 5 15 30] [--no-prophet]
       [--no-auto-prophet] [--origins readme holdout]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from planner.forecast import (
    AutoForecaster,
    MeanLastWeeks,
    ProphetForecaster,
    SameSlotLastWeek,
    TopDown,
    backtest,
)
from planner.forecast.base import ForecastMethod

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ORIGIN_SETS = {
    "readme": pd.date_range("2003-09-15", periods=5, freq="7D"),
    "holdout": pd.date_range("2003-07-07", periods=5, freq="7D"),
}


class ProphetPlain(ProphetForecaster):
    """Prophet as the README's 'default' row: additive daily + weekly seasonality, nothing else."""

    name = "prophet-default"

    def _fit_queue(self, grid):  # type: ignore[no-untyped-def]
        from prophet import Prophet
        from prophet.serialize import model_to_json

        from planner.forecast.prophet_model import _ProphetState, _quiet

        _quiet()
        frame, day_i, slot_i = self._frame(
            grid,
            grid.dates,
            grid.day_type,
            grid.day_type * 0.0,
            grid.slot_seen & grid.observed[:, None],
        )
        frame = frame.loc[:, ["ds"]].assign(y=grid.calls[day_i, slot_i])
        model = Prophet(
            daily_seasonality=True,
            weekly_seasonality=True,
            yearly_seasonality=False,
            uncertainty_samples=int(self.uncertainty_samples),
            interval_width=float(self.interval_level),
        )
        model.fit(frame)
        return _ProphetState(model_json=model_to_json(model), parts=[])

    def _predict_queue(self, state, grid, fut):  # type: ignore[no-untyped-def]
        import numpy as np
        from prophet.serialize import model_from_json

        from planner.forecast.base import QueuePrediction
        from planner.forecast.prophet_model import _seeded

        model = model_from_json(state.model_json)
        frame, day_i, slot_i = self._frame(
            grid, fut.dates, fut.day_type, fut.after_closure, fut.open_mask
        )
        with _seeded(int(self.seed)):
            out = model.predict(frame.loc[:, ["ds"]])
        shape = fut.open_mask.shape
        if "yhat_lower" not in out.columns:
            mean = np.zeros(shape)
            mean[day_i, slot_i] = np.clip(out["yhat"].to_numpy(), 0.0, None)
            return QueuePrediction(mean=mean, rel_sd=np.zeros(shape[0]))
        arrays = []
        for column in ("yhat", "yhat_lower", "yhat_upper"):
            values = np.zeros(shape)
            values[day_i, slot_i] = np.clip(out[column].to_numpy(), 0.0, None)
            arrays.append(values)
        return QueuePrediction(mean=arrays[0], lower=arrays[1], upper=arrays[2])


def load_bank(minutes: int) -> pd.DataFrame:
    raw = pd.read_csv(DATA / f"us_bank_2003_{minutes}min.csv")
    return pd.DataFrame(
        {
            "queue": "bank",
            "interval_start": pd.to_datetime(raw["timestamp"]).dt.tz_localize("America/New_York"),
            "calls_offered": raw["calls"].astype(float),
        }
    )


def methods(with_prophet: bool, auto_prophet: bool = True) -> dict[str, ForecastMethod]:
    out: dict[str, ForecastMethod] = {
        "same-slot-last-week": SameSlotLastWeek(),
        "mean-last-4-weeks": MeanLastWeeks(n_weeks=4),
        "topdown": TopDown(),
        "topdown-regression": TopDown(daily_model="regression"),
        "topdown-daily-prophet": TopDown(daily_model="prophet"),
        "topdown-no-month-start": TopDown(month_start_days=0),
        "auto": AutoForecaster(),
    }
    if with_prophet:
        out["prophet-default"] = ProphetPlain(uncertainty_samples=0)
        out["prophet"] = ProphetForecaster()
    if with_prophet and auto_prophet:
        out["auto+prophet"] = AutoForecaster(
            candidates=("topdown", "mean-last-weeks", "same-slot-last-week", "prophet")
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, nargs="+", default=[30, 15, 5])
    parser.add_argument(
        "--origins", nargs="+", default=["readme", "holdout"], choices=list(ORIGIN_SETS)
    )
    parser.add_argument("--no-prophet", action="store_true")
    parser.add_argument(
        "--no-auto-prophet", action="store_true", help="skip auto with Prophet as a candidate"
    )
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent (real bank data, not shipped with the repo)")
        return 0
    pd.set_option("display.width", 200)
    for minutes in args.minutes:
        history = load_bank(minutes)
        for set_name in args.origins:
            started = time.perf_counter()
            result = backtest(
                history,
                methods(not args.no_prophet, not args.no_auto_prophet),
                origins=list(ORIGIN_SETS[set_name]),
            )
            seconds = time.perf_counter() - started
            wape = (100 * result.table("interval", "wape")).round(2).droplevel(0)
            wape = wape.loc[:, ["day", "week1", "week2"]]
            base = wape.loc["mean-last-4-weeks"]
            wape["w1 vs 4wk %"] = (100 * (wape["week1"] / base["week1"] - 1)).round(1)
            wape["w2 vs 4wk %"] = (100 * (wape["week2"] / base["week2"] - 1)).round(1)
            coverage = (100 * result.table("interval", "coverage")).round(1).droplevel(0)
            wape["cover w1 %"] = coverage["week1"]
            day_wape = (100 * result.table("day", "wape")).round(2).droplevel(0)
            wape["daily-total w1"] = day_wape["week1"]
            first = result.origins[0].date()
            print(
                f"\n{minutes}-min, origins '{set_name}' (5 Mondays from {first}), "
                f"WAPE % per interval "
                f"({seconds:.0f} s)"
            )
            print(wape.to_string())
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
