"""What-if scenarios: the same plan under overrides, compared side by side.

A :class:`Scenario` is a named set of overrides of the forecast (volume times a factor or plus
calls per interval, AHT times a factor or plus seconds), of the parameters (shrinkage, targets,
patience), of the workforce (a headcount cap per interval, agents lost) and of the opening hours.
:func:`run_scenarios` runs the stages each scenario affects and returns one comparison:

* **staffing** (:func:`planner.staffing.required_agents`): agents required for the scenario's
  forecast and targets. A scenario that keeps the current roster (``keep_roster=True``) still
  reports what it would require, but is evaluated with the roster's agents;
* **scheduling**: when schedule rules are given, the re-staffed scenarios are rostered with
  :func:`planner.scheduling.build_roster` (CP-SAT, time-limited; at most one week) and evaluated
  with the roster's coverage, its paid hours and cost. Without rules the scheduling stage is not
  run: the staffing's ``agents_to_schedule`` is taken as scheduled (a perfect roster) and the
  report's notes say so;
* **evaluation** (:func:`planner.evaluate.evaluate_plan`): SL, ASA, abandonment, occupancy per
  interval, day and week, and the intervals missing target.

The everyday questions are ready-made by :func:`everyday_scenarios`: "volume +10 %" (with the
current roster, and re-staffed), "lose 5 agents" and "AHT +20 s with the current roster".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planner._params import PatienceSeconds, patience_by_row
from planner.errors import InputError
from planner.evaluate import (
    ALL_QUEUES,
    Evaluation,
    _check_fraction,
    _positive,
    _resolve_model,
    calendar_keys,
    evaluate_plan,
    join_plan,
    resolve_interval_minutes,
)
from planner.progress import ProgressCallback, report
from planner.staffing import Model as StaffingModel
from planner.staffing import StaffingTargets, required_agents

__all__ = [
    "SUMMARY_COLUMNS",
    "Scenario",
    "ScenarioComparison",
    "everyday_scenarios",
    "run_scenarios",
    "scenario_from_mapping",
]

SUMMARY_COLUMNS = (
    "scenario",
    "queue",
    "calls_forecast",
    "calls_outside_hours",
    "aht_seconds",
    "required_hours",
    "scheduled_hours",
    "cost",
    "roster_cost",
    "service_level",
    "asa_seconds",
    "abandon_rate",
    "occupancy",
    "intervals",
    "intervals_missing_target",
    "worst_day_service_level",
)
"""Columns of :attr:`ScenarioComparison.summary` (``required_hours``: productive agent-hours
staffing requires; ``scheduled_hours``: heads scheduled x interval hours; ``cost``: scheduled
hours x ``cost_per_agent_hour``; ``roster_cost``: the roster's own cost (paid hours, overtime, in
the rules' money units) where a roster was built for the scenario, centre-wide)."""


@dataclass(frozen=True)
class Scenario:
    """A named set of overrides; every field left at its default changes nothing.

    Attributes
    ----------
    name
        Shown in every table.
    volume_factor, volume_add_calls, volume_add_calls_per_day
        Calls become ``calls * volume_factor + volume_add_calls`` in every interval that has
        calls, plus ``volume_add_calls_per_day`` spread over each day's intervals in proportion
        to the forecast's intraday shape (factor >= 0; the result is clipped at 0).
    aht_factor, aht_add_seconds
        AHT becomes ``aht * aht_factor + aht_add_seconds`` (must stay > 0).
    shrinkage, service_level_target, answer_target_seconds, max_abandon_rate, patience_seconds
        Replace the base value when given (``patience_seconds``: seconds, or a mapping queue ->
        seconds naming every queue).
    headcount_cap
        At most this many heads in any interval (scheduled heads are cut down to it).
    agents_lost
        Agents leaving the workforce: every interval's heads shrink in proportion,
        ``heads * (headcount - lost) / headcount`` rounded to the nearest whole head (halves up),
        in exact integer arithmetic (needs the base ``headcount``).
    opening_hours
        ``("08:00", "18:00")``: local clock window in which calls are taken; outside it calls are
        not answered (counted in ``calls_outside_hours``) and nobody is scheduled.
    keep_roster
        Evaluate the current roster's agents (the base plan) instead of re-staffing.
    """

    name: str
    volume_factor: float = 1.0
    volume_add_calls: float = 0.0
    volume_add_calls_per_day: float = 0.0
    aht_factor: float = 1.0
    aht_add_seconds: float = 0.0
    shrinkage: float | None = None
    service_level_target: float | None = None
    answer_target_seconds: float | None = None
    max_abandon_rate: float | None = None
    patience_seconds: PatienceSeconds = None
    headcount_cap: int | None = None
    agents_lost: int = 0
    opening_hours: tuple[str, str] | None = None
    keep_roster: bool = False


@dataclass(frozen=True)
class ScenarioComparison:
    """What :func:`run_scenarios` returns.

    Attributes
    ----------
    summary
        One row per scenario and queue (plus ``all queues`` when there are several), columns
        :data:`SUMMARY_COLUMNS`, scenarios in the order given.
    daily, weekly
        The evaluation's daily / weekly frames of every scenario, with a ``scenario`` column first.
    evaluations
        The full :class:`planner.evaluate.Evaluation` of each scenario, by name.
    requirements
        Staffing's requirements frame of each scenario, by name.
    notes
        What was assumed or left out and why (no rules: no rostering; a scenario needing the
        headcount without one), per scenario where it applies.
    """

    summary: pd.DataFrame
    daily: pd.DataFrame
    weekly: pd.DataFrame
    evaluations: dict[str, Evaluation]
    requirements: dict[str, pd.DataFrame]
    notes: tuple[str, ...] = field(default=())


def everyday_scenarios(*, include_agents_lost: bool = True) -> list[Scenario]:
    """The everyday what-if questions, ready-made.

    * ``volume +10 %``: the current roster when volume runs 10 % over forecast;
    * ``volume +10 %, re-staffed``: what it takes to keep the targets at that volume;
    * ``lose 5 agents``: the current roster with 5 fewer agents in the workforce;
    * ``AHT +20 s``: the current roster when every call takes 20 s longer.
    """
    scenarios = [
        Scenario("volume +10 %", volume_factor=1.1, keep_roster=True),
        Scenario("volume +10 %, re-staffed", volume_factor=1.1),
        Scenario("AHT +20 s", aht_add_seconds=20.0, keep_roster=True),
    ]
    if include_agents_lost:
        scenarios.insert(2, Scenario("lose 5 agents", agents_lost=5, keep_roster=True))
    return scenarios


_SCENARIO_FIELDS = {f for f in Scenario.__dataclass_fields__}


def scenario_from_mapping(data: dict[str, Any], *, source: str = "scenarios") -> Scenario:
    """A :class:`Scenario` from a mapping (a YAML / JSON entry), naming unknown keys.

    Parameters
    ----------
    data
        Keys are the :class:`Scenario` fields; ``name`` is required. ``opening_hours`` is a
        two-item list ``["08:00", "18:00"]``.
    source
        Name of the file in error messages.
    """
    if not isinstance(data, dict):
        raise InputError(f"{source}: a scenario must be a mapping of overrides, got {data!r}")
    unknown = sorted(set(data) - _SCENARIO_FIELDS)
    if unknown:
        raise InputError(
            f"{source}: scenario {data.get('name', '?')!r} has unknown keys {unknown}; expected "
            f"some of {sorted(_SCENARIO_FIELDS)}"
        )
    if "name" not in data or not str(data["name"]).strip():
        raise InputError(f"{source}: every scenario needs a name, got {data!r}")
    values = dict(data)
    values["name"] = str(values["name"])
    if values.get("opening_hours") is not None:
        hours = values["opening_hours"]
        if not isinstance(hours, list | tuple) or len(hours) != 2:
            raise InputError(
                f"{source}: scenario {values['name']!r}: opening_hours must be [open, close] like "
                f'["08:00", "18:00"], got {hours!r}'
            )
        values["opening_hours"] = (str(hours[0]), str(hours[1]))
    return Scenario(**values)


def _clock(text: str, where: str) -> dt.time:
    """``"HH:MM"`` -> time, naming the scenario on failure."""
    try:
        return dt.datetime.strptime(text.strip(), "%H:%M").time()
    except (ValueError, AttributeError):
        raise InputError(
            f"{where}: opening hours must be HH:MM clock times, got {text!r}"
        ) from None


def _check_scenario(scenario: Scenario) -> None:
    """Validate the overrides of one scenario, naming it and the field."""
    where = f"scenario {scenario.name!r}"
    for name in ("volume_factor", "aht_factor"):
        value = getattr(scenario, name)
        if not isinstance(value, int | float) or not np.isfinite(value) or value < 0:
            raise InputError(f"{where}: {name} must be a number >= 0, got {value!r}")
    for name in ("volume_add_calls", "volume_add_calls_per_day", "aht_add_seconds"):
        value = getattr(scenario, name)
        if not isinstance(value, int | float) or not np.isfinite(value):
            raise InputError(f"{where}: {name} must be a finite number, got {value!r}")
    if scenario.shrinkage is not None:
        _check_fraction(scenario.shrinkage, f"{where}: shrinkage", upper_open=True)
    if scenario.service_level_target is not None:
        _check_fraction(scenario.service_level_target, f"{where}: service_level_target")
    if scenario.max_abandon_rate is not None:
        _check_fraction(scenario.max_abandon_rate, f"{where}: max_abandon_rate")
    if scenario.answer_target_seconds is not None:
        _positive(scenario.answer_target_seconds, f"{where}: answer_target_seconds")
    for name in ("headcount_cap", "agents_lost"):
        value = getattr(scenario, name)
        if value is None and name == "headcount_cap":
            continue
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise InputError(f"{where}: {name} must be a whole number >= 0, got {value!r}")
    if scenario.opening_hours is not None:
        opens, closes = (_clock(text, where) for text in scenario.opening_hours)
        if opens >= closes:
            raise InputError(
                f"{where}: opening_hours must open before they close, "
                f"got {scenario.opening_hours!r}"
            )


def run_scenarios(
    forecast: pd.DataFrame,
    scenarios: Sequence[Scenario],
    *,
    current_agents: str | pd.DataFrame | None = None,
    shrinkage: float = 0.0,
    service_level_target: float = 0.8,
    answer_target_seconds: float = 20.0,
    max_abandon_rate: float | None = None,
    patience_seconds: PatienceSeconds = None,
    model: str | None = None,
    cost_per_agent_hour: float | None = None,
    headcount: int | None = None,
    rules: Any = None,
    schedule_time_limit_seconds: float = 20.0,
    seed: int = 0,
    include_baseline: bool = True,
    interval_minutes: int | None = None,
    progress: ProgressCallback | None = None,
) -> ScenarioComparison:
    """Run each scenario's affected stages and compare them side by side.

    Parameters
    ----------
    forecast
        Forecast frame: ``queue`` (optional), ``interval_start``, ``calls_forecast``,
        ``aht_seconds_forecast``.
    scenarios
        The scenarios, names unique.
    current_agents
        The current roster: a coverage frame (``queue``, ``interval_start``,
        ``agents_scheduled``) or a column of ``forecast``. When None, the baseline's staffing
        (``agents_to_schedule`` at the base settings) stands in for it.
    shrinkage, service_level_target, answer_target_seconds, max_abandon_rate, patience_seconds,
    model
        Base settings (see :func:`planner.evaluate.evaluate_plan`); scenarios override them.
        ``patience_seconds`` is one number for every queue or a mapping queue -> seconds that
        names every queue of ``forecast`` (so is a scenario's).
    cost_per_agent_hour
        Cost of one scheduled agent-hour, for the ``cost`` column when no roster is built.
    headcount
        Agents in the workforce (needed by ``agents_lost``); the rules' agents when rules are
        given.
    rules
        :class:`planner.scheduling.ScheduleRules`: re-staffed scenarios are rostered with them.
    schedule_time_limit_seconds, seed
        CP-SAT limits of each roster.
    include_baseline
        Put a ``baseline`` scenario (no overrides, current roster) first.
    interval_minutes
        Interval length; inferred when None.
    progress
        Optional ``progress(description, done, total)`` callback, one step per scenario.

    Returns
    -------
    ScenarioComparison
    """
    if not isinstance(forecast, pd.DataFrame):
        raise InputError(f"forecast must be a pandas DataFrame, got {type(forecast).__name__}")
    runs = list(scenarios)
    if include_baseline:
        runs.insert(0, Scenario("baseline", keep_roster=True))
    if not runs:
        raise InputError("scenarios: got none; expected at least one Scenario")
    names = [scenario.name for scenario in runs]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise InputError(f"scenarios: names must be unique, got {duplicated} more than once")
    for scenario in runs:
        if not isinstance(scenario, Scenario):
            raise InputError(f"scenarios: expected Scenario objects, got {type(scenario).__name__}")
        _check_scenario(scenario)
    _check_fraction(shrinkage, "shrinkage", upper_open=True)
    cost_rate = _positive(cost_per_agent_hour, "cost_per_agent_hour", allow_none=True)
    if rules is not None and headcount is None:
        headcount = len(rules.agents)
    if headcount is not None and (
        isinstance(headcount, bool) or not isinstance(headcount, int | np.integer) or headcount < 1
    ):
        raise InputError(f"headcount must be a whole number >= 1, got {headcount!r}")

    base_plan = join_plan(forecast.assign(_none=0), "_none", name="forecast")
    minutes = resolve_interval_minutes(base_plan, interval_minutes, name="forecast")
    hours = minutes / 60.0
    queues = base_plan["queue"].to_numpy()
    patience_by_row(patience_seconds, queues)
    for scenario in runs:
        if scenario.patience_seconds is not None:
            patience_by_row(
                scenario.patience_seconds,
                queues,
                name=f"scenario {scenario.name!r}: patience_seconds",
            )
    notes: list[str] = []
    if rules is None:
        notes.append(
            "scheduling not run (no rules given): re-staffed scenarios take staffing's "
            "agents_to_schedule as scheduled, a perfect roster"
        )

    base: dict[str, Any] = {
        "shrinkage": float(shrinkage),
        "service_level_target": service_level_target,
        "answer_target_seconds": answer_target_seconds,
        "max_abandon_rate": max_abandon_rate,
        "patience_seconds": patience_seconds,
    }
    current_cost: pd.Series | None = None
    if current_agents is not None:
        current = join_plan(forecast, current_agents, name="forecast")[
            "agents_scheduled"
        ].to_numpy()
    else:
        base_required = _required(base_plan, base, model, minutes)
        if rules is not None:
            current, current_cost = _roster(
                base_required, rules, schedule_time_limit_seconds, seed, minutes
            )
            notes.append("no current roster given: the baseline's requirements are rostered")
        else:
            current = base_required["agents_to_schedule"].to_numpy()
            notes.append(
                "no current roster given: the baseline's agents_to_schedule stands in for it"
            )

    evaluations: dict[str, Evaluation] = {}
    requirements: dict[str, pd.DataFrame] = {}
    rows: list[pd.DataFrame] = []
    daily_frames: list[pd.DataFrame] = []
    weekly_frames: list[pd.DataFrame] = []
    report(progress, "scenarios", 0, len(runs))
    for step, scenario in enumerate(runs, start=1):
        settings: dict[str, Any] = {
            key: getattr(scenario, key) if getattr(scenario, key) is not None else value
            for key, value in base.items()
        }
        plan, outside = _apply_forecast_overrides(base_plan, scenario)
        cost: pd.Series | None = None
        required = _required(plan, settings, model, minutes)
        requirements[scenario.name] = required
        if scenario.keep_roster:
            heads = current.copy()
            unchanged = not (
                scenario.agents_lost or scenario.headcount_cap is not None or outside.any()
            )
            cost = current_cost if unchanged else None
        else:
            heads = required["agents_to_schedule"].to_numpy().copy()
            if rules is not None:
                heads, cost = _roster(required, rules, schedule_time_limit_seconds, seed, minutes)
        heads = np.where(outside, 0, heads)
        if scenario.agents_lost:
            if headcount is None:
                notes.append(
                    f"scenario {scenario.name!r} left out: agents_lost needs the workforce "
                    "headcount (pass headcount or rules)"
                )
                report(progress, "scenarios", step, len(runs))
                continue
            if scenario.agents_lost > headcount:
                raise InputError(
                    f"scenario {scenario.name!r}: agents_lost must be <= headcount {headcount}, "
                    f"got {scenario.agents_lost}"
                )
            # In proportion, to the nearest whole head (halves up), in exact integers: rounding
            # down would take a head from every small interval, overstating the loss.
            kept = heads.astype(np.int64) * (headcount - scenario.agents_lost)
            heads = (2 * kept + headcount) // (2 * headcount)
        if scenario.headcount_cap is not None:
            heads = np.minimum(heads, scenario.headcount_cap)
        evaluation = evaluate_plan(
            plan.assign(agents_scheduled=heads.astype(np.int64)),
            "agents_scheduled",
            shrinkage=settings["shrinkage"],
            model=model,
            patience_seconds=settings["patience_seconds"],
            answer_target_seconds=settings["answer_target_seconds"],
            service_level_target=settings["service_level_target"],
            max_abandon_rate=settings["max_abandon_rate"],
            interval_minutes=minutes,
        )
        evaluations[scenario.name] = evaluation
        rows.append(
            _summary_rows(
                scenario.name, evaluation, required, outside, plan, hours, cost, cost_rate
            )
        )
        daily_frames.append(evaluation.daily.assign(scenario=scenario.name))
        weekly_frames.append(evaluation.weekly.assign(scenario=scenario.name))
        report(progress, "scenarios", step, len(runs))

    def stacked(frames: list[pd.DataFrame]) -> pd.DataFrame:
        if not frames:
            return pd.DataFrame(columns=["scenario"])
        frame = pd.concat(frames, ignore_index=True)
        return frame.loc[:, ["scenario", *[c for c in frame.columns if c != "scenario"]]]

    summary = (
        pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    )
    return ScenarioComparison(
        summary=summary.loc[:, list(SUMMARY_COLUMNS)],
        daily=stacked(daily_frames),
        weekly=stacked(weekly_frames),
        evaluations=evaluations,
        requirements=requirements,
        notes=tuple(notes),
    )


def _apply_forecast_overrides(
    plan: pd.DataFrame, scenario: Scenario
) -> tuple[pd.DataFrame, np.ndarray]:
    """The plan frame with the scenario's volume, AHT and opening hours; and the closed mask."""
    calls = plan["calls_forecast"].to_numpy(dtype=float)
    has_calls = calls > 0
    if scenario.volume_add_calls_per_day:
        day = calendar_keys(plan["interval_start"])[0].to_numpy()
        day_total = pd.Series(calls).groupby([plan["queue"].to_numpy(), day]).transform("sum")
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(day_total > 0, calls / day_total.to_numpy(), 0.0)
        extra = scenario.volume_add_calls_per_day * share
    else:
        extra = np.zeros(calls.shape)
    calls = np.where(
        has_calls,
        np.clip(calls * scenario.volume_factor + scenario.volume_add_calls + extra, 0, None),
        0.0,
    )
    aht = plan["aht_seconds_forecast"].to_numpy(dtype=float) * scenario.aht_factor
    aht = aht + scenario.aht_add_seconds
    bad = (aht <= 0) & (calls > 0)
    if bad.any():
        raise InputError(
            f"scenario {scenario.name!r}: AHT becomes {aht[bad][0]:.1f} s at "
            f"{plan['interval_start'].iloc[int(np.flatnonzero(bad)[0])]}; expected > 0"
        )
    aht = np.where(aht > 0, aht, 1.0)  # intervals without calls carry no traffic
    outside = np.zeros(len(plan), dtype=bool)
    if scenario.opening_hours is not None:
        where = f"scenario {scenario.name!r}"
        opens, closes = (_clock(text, where) for text in scenario.opening_hours)
        local = plan["interval_start"].dt.tz_localize(None)
        minute = (local.dt.hour * 60 + local.dt.minute).to_numpy()
        outside = (minute < opens.hour * 60 + opens.minute) | (
            minute >= closes.hour * 60 + closes.minute
        )
    frame = plan.loc[:, ["queue", "interval_start"]].copy()
    frame["calls_forecast"] = np.where(outside, 0.0, calls)
    frame["aht_seconds_forecast"] = aht
    frame["calls_outside_hours"] = np.where(outside, calls, 0.0)
    return frame, outside


def _required(
    plan: pd.DataFrame, settings: dict[str, Any], model: str | None, minutes: int
) -> pd.DataFrame:
    """Staffing's requirements for a scenario's forecast and settings."""
    # evaluate spells the models with "_", staffing with "-".
    resolved: StaffingModel = (
        "erlang-a"
        if _resolve_model(model, settings["patience_seconds"]) == "erlang_a"
        else "erlang-c"
    )
    targets = StaffingTargets(
        service_level_target=settings["service_level_target"] or None,
        answer_target_seconds=settings["answer_target_seconds"],
        max_abandon_rate=settings["max_abandon_rate"] if resolved == "erlang-a" else None,
    )
    return required_agents(
        plan.loc[:, ["queue", "interval_start", "calls_forecast", "aht_seconds_forecast"]],
        targets,
        model=resolved,
        patience_seconds=settings["patience_seconds"] if resolved == "erlang-a" else None,
        shrinkage=settings["shrinkage"],
        interval_minutes=minutes,
    )


def _roster(
    required: pd.DataFrame,
    rules: Any,
    time_limit_seconds: float,
    seed: int,
    minutes: int,
) -> tuple[np.ndarray, pd.Series]:
    """Roster the requirements; heads per interval (requirements' row order) and the cost."""
    # Imported here, not at the top: planner.scheduling loads OR-Tools, which only rostering needs.
    from planner.scheduling import build_roster, split_coverage_by_queue
    from planner.scheduling.penalties import hard_floor_heads_by_row

    result = build_roster(
        required,
        rules,
        time_limit_seconds=time_limit_seconds,
        seed=seed,
        num_workers=1,
        interval_minutes=minutes,
    )
    coverage = result.coverage
    if "queue" in coverage.columns and set(coverage["queue"]) != set(required["queue"]):
        # under a hard floor every queue keeps its own floor heads, not only the pool
        floor = hard_floor_heads_by_row(required, rules)
        coverage = split_coverage_by_queue(coverage, required, floor_heads_per_row=floor)
    heads = join_plan(required, coverage.loc[:, ["queue", "interval_start", "agents_scheduled"]])
    cost = pd.Series({"cost": result.summary.cost, "paid_hours": result.summary.paid_hours})
    return heads["agents_scheduled"].to_numpy(), cost


def _summary_rows(
    name: str,
    evaluation: Evaluation,
    required: pd.DataFrame,
    outside: np.ndarray,
    plan: pd.DataFrame,
    hours: float,
    roster_cost: pd.Series | None,
    cost_rate: float | None,
) -> pd.DataFrame:
    """One summary row per queue (and all queues) of one scenario."""
    totals = evaluation.totals.set_index("queue")
    intervals = evaluation.intervals
    queue = intervals["queue"].to_numpy()
    keys = list(totals.index)
    out = pd.DataFrame({"scenario": name, "queue": keys})
    out["calls_forecast"] = totals["calls_forecast"].to_numpy()
    outside_calls = pd.Series(plan["calls_outside_hours"].to_numpy(), index=queue)
    by_queue = outside_calls.groupby(level=0).sum()
    out["calls_outside_hours"] = [
        float(outside_calls.sum()) if key == ALL_QUEUES else float(by_queue.get(key, 0.0))
        for key in keys
    ]
    calls = intervals["calls_forecast"].to_numpy()
    workload = pd.Series(calls * intervals["aht_seconds_forecast"].to_numpy(), index=queue)
    calls_by = pd.Series(calls, index=queue)
    out["aht_seconds"] = [
        _ratio(workload.sum(), calls_by.sum())
        if key == ALL_QUEUES
        else _ratio(
            workload.groupby(level=0).sum().get(key, 0.0),
            calls_by.groupby(level=0).sum().get(key, 0.0),
        )
        for key in keys
    ]
    req = pd.Series(
        required["agents_required"].to_numpy() * hours, index=required["queue"].to_numpy()
    )
    req_by = req.groupby(level=0).sum()
    out["required_hours"] = [
        float(req.sum()) if key == ALL_QUEUES else float(req_by.get(key, 0.0)) for key in keys
    ]
    out["scheduled_hours"] = totals["scheduled_hours"].to_numpy()
    out["cost"] = out["scheduled_hours"] * cost_rate if cost_rate is not None else np.nan
    # The roster pools the queues: its cost belongs to the whole centre.
    centre = [key == ALL_QUEUES or len(keys) == 1 for key in keys]
    out["roster_cost"] = [
        float(roster_cost["cost"]) if roster_cost is not None and whole else np.nan
        for whole in centre
    ]
    for column in ("service_level", "asa_seconds", "abandon_rate", "occupancy"):
        out[column] = totals[column].to_numpy()
    out["intervals"] = totals["intervals"].to_numpy()
    out["intervals_missing_target"] = totals["intervals_missing_target"].to_numpy()
    daily = evaluation.daily
    worst = daily.groupby("queue")["service_level"].min()
    weighted = (
        (daily["calls_forecast"] * daily["service_level"].fillna(0.0)).groupby(daily["day"]).sum()
    )
    pooled = weighted / daily.groupby("day")["calls_forecast"].sum().where(lambda c: c > 0)
    out["worst_day_service_level"] = [
        float(pooled.min()) if key == ALL_QUEUES else float(worst.get(key, np.nan)) for key in keys
    ]
    return out


def _ratio(top: float, bottom: float) -> float:
    return float(top / bottom) if bottom > 0 else float("nan")
