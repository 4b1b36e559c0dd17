"""Prophet-based forecasting on small inputs (marked slow: a few Prophet fits of ~1 s each)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from planner.forecast import ProphetForecaster, TopDown, backtest, load_model, save_model
from planner.schema import FORECAST_COLUMNS
from tests.test_forecast import centre, local

pytestmark = pytest.mark.slow


def test_prophet_frame_contract_and_seeded_intervals():
    history = centre(weeks=4, noise_seed=21)
    first = ProphetForecaster(seed=3, uncertainty_samples=50).fit(history).predict(7)
    again = ProphetForecaster(seed=3, uncertainty_samples=50).fit(history).predict(7)
    assert tuple(first.columns) == FORECAST_COLUMNS
    assert (first["calls_forecast"] >= 0).all()
    assert (first["calls_lower"] <= first["calls_forecast"]).all()
    assert (first["calls_forecast"] <= first["calls_upper"]).all()
    assert (first["calls_upper"] > first["calls_lower"]).mean() > 0.9
    # Closed Sunday and closed hours get no rows; the same seed gives the same intervals.
    assert (local(first["interval_start"]).dt.day_of_week != 6).all()
    assert len(first) == 5 * 20 + 8
    pd.testing.assert_frame_equal(first, again)


def test_prophet_daily_shape_per_day_type_beats_flat():
    # Saturday opens 09:00-13:00 with its own level; the conditional daily shapes must put the
    # Saturday forecast total near the Saturday history total (generator: 0.5 x weekday 2).
    history = centre(weeks=4, noise_seed=22, daily_total=800.0)
    out = ProphetForecaster().fit(history).predict(7)
    days = local(out["interval_start"]).dt.day_of_week
    saturday_total = out.loc[days == 5, "calls_forecast"].sum()
    # Generator Saturday total: 800 x 0.5 x the share of the 09:00-13:00 shape = 400 calls.
    assert saturday_total == pytest.approx(400.0, rel=0.15)


def test_prophet_model_saved_as_prophet_json(tmp_path):
    history = centre(weeks=4, noise_seed=23)
    model = ProphetForecaster(seed=1, uncertainty_samples=30).fit(history)
    path = save_model(model, "sales", tmp_path)
    document = json.loads(path.read_text())
    prophet_json = document["state"]["fields"]["model_json"]
    assert json.loads(prophet_json)["seasonality_mode"] == "multiplicative"
    pd.testing.assert_frame_equal(load_model(path).predict(5), model.predict(5))


def test_topdown_with_daily_prophet_and_prophet_in_backtest():
    history = centre(weeks=8, noise_seed=24, daily_total=1500.0)
    result = backtest(
        history,
        {
            "prophet": ProphetForecaster(uncertainty_samples=30),
            "topdown-prophet": TopDown(daily_model="prophet"),
        },
        n_origins=1,
        horizons=("week1",),
    )
    wape = result.scores.query("level == 'interval'").set_index("method")["wape"]
    # Poisson noise alone at these volumes is ~5-8 % WAPE; a broken model would be far off.
    assert np.all(wape < 0.2)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"daily_fourier_order": 0}, "daily_fourier_order"),
        ({"uncertainty_samples": -1}, "uncertainty_samples"),
        ({"changepoint_prior_scale": 0.0}, "changepoint_prior_scale"),
    ],
    ids=["fourier", "samples", "changepoint"],
)
def test_prophet_bad_parameters(params, match):
    from planner.errors import InputError

    with pytest.raises(InputError, match=match):
        ProphetForecaster(**params).fit(centre(weeks=2))


def test_prophet_without_uncertainty_samples_gives_poisson_interval():
    out = ProphetForecaster(uncertainty_samples=0).fit(centre(weeks=3, noise_seed=26)).predict(3)
    from scipy import stats

    busy = out["calls_forecast"] > 5
    assert busy.any()
    expected = stats.poisson.ppf(0.9, out.loc[busy, "calls_forecast"])
    np.testing.assert_allclose(out.loc[busy, "calls_upper"], expected)


def test_topdown_ensemble_is_the_geometric_mean_of_its_daily_models():
    history = centre(weeks=8, noise_seed=28, daily_total=1500.0)
    totals = {}
    for daily_model in ("regression", "prophet", "ensemble"):
        out = TopDown(daily_model=daily_model).fit(history).predict(7)
        totals[daily_model] = out.groupby(local(out["interval_start"]).dt.date)[
            "calls_forecast"
        ].sum()
    expected = np.sqrt(totals["regression"] * totals["prophet"])
    np.testing.assert_allclose(totals["ensemble"], expected, rtol=1e-9)
