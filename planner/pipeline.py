"""The whole pipeline, stage after stage, writing each stage's output into one folder.

:func:`run_plan` runs history -> KPIs of the history -> forecast -> staffing -> schedule ->
evaluate -> simulate -> scenarios -> accuracy -> report on your history and plan file;
:func:`run_demo` runs it on the built-in sample centre with its last week held out, so the report
also shows forecast against actual, after sizing the workforce for that week from an unconstrained
shift design (:func:`size_workforce_from_design`, the optional ``size_workforce`` step of
:func:`run_plan` between staffing and the roster).

The plan window starts at local midnight of ``start`` and lasts ``weeks`` weeks. History before
``start`` is what the forecast learns from; history inside the window (when there is any) is the
actual outcome, compared with the forecast and the plan in the accuracy stage. The simulation
replays the plan's first week call by call (``[simulation]`` of the plan file); the history KPIs
are those achieved before ``start``.

A stage that cannot run (no rules given; the roster is infeasible) is recorded in
:attr:`PipelineResult.stages` with the reason, and the report says so instead of showing a chart.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from planner.config import PlanConfig, ScheduleSettings
from planner.errors import InfeasibleError, InputError
from planner.progress import ProgressCallback, report

if TYPE_CHECKING:
    from planner.evaluate import Evaluation
    from planner.scheduling.rules import ScheduleRules

__all__ = [
    "PipelineResult",
    "WorkforceSizer",
    "demo_config",
    "run_demo",
    "run_plan",
    "size_workforce_from_design",
]

STAGES = (
    "history",
    "history_kpis",
    "forecast",
    "staffing",
    "schedule",
    "evaluate",
    "simulate",
    "scenarios",
    "accuracy",
    "report",
)
"""Stages in the order they run; each gets an entry in :attr:`PipelineResult.stages`."""


@dataclass
class PipelineResult:
    """What a pipeline run wrote and found.

    Attributes
    ----------
    out_dir
        The output folder.
    outputs
        A label per written file and its path, in the order written.
    summary
        The plan window's KPIs per queue and for all queues, weighted by calls (columns of
        :data:`planner.evaluate.PERIOD_COLUMNS` without the period key); empty when the
        evaluation did not run.
    stages
        ``"ran"`` or ``"not run: <reason>"`` for each of :data:`STAGES`.
    notes
        What the run assumed or left out, for people (gaps in the history, solver status, ...).
    frames
        The in-memory frames behind the outputs by label (for notebooks and the report).
    seconds
        Wall-clock seconds each stage took.
    """

    out_dir: Path
    outputs: dict[str, Path] = field(default_factory=dict)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    stages: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class WorkforceSizer(Protocol):
    """Sizes the workforce of the plan from the first week's requirements, before rostering.

    Called with the first plan week's requirements (staffing's frame), the shift rules of the
    plan file, the interval length (minutes) and the progress callback; returns the rules with
    the sized agents and a note for people saying how they were sized.
    """

    def __call__(
        self,
        requirements: pd.DataFrame,
        rules: ScheduleRules,
        *,
        interval_minutes: int,
        progress: ProgressCallback | None,
    ) -> tuple[ScheduleRules, str]: ...


def _window(
    history: pd.DataFrame, start: dt.date | str | None, weeks: int
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Local-midnight start and end of the plan window, in the history's time zone."""
    tz = history["interval_start"].dt.tz
    if start is None:
        last = history["interval_start"].max()
        first_day = (last.tz_convert(tz).normalize() + pd.Timedelta(days=1)).date()
    else:
        try:
            first_day = pd.Timestamp(start).date()
        except (ValueError, TypeError):
            raise InputError(f"start must be a date like 2026-03-02, got {start!r}") from None
    begin = pd.Timestamp(first_day).tz_localize(tz)
    end = pd.Timestamp(first_day + dt.timedelta(days=7 * weeks)).tz_localize(tz)
    return begin, end


def _write(result: PipelineResult, label: str, frame: pd.DataFrame, name: str, fmt: str) -> None:
    from planner.io import write_frame

    result.outputs[label] = write_frame(frame, result.out_dir / f"{name}.{fmt}")
    result.frames[label] = frame


def _required(forecast: pd.DataFrame, config: PlanConfig, interval_minutes: int) -> pd.DataFrame:
    """Staffing's requirements for every queue, each with its own caller patience."""
    from planner.staffing import StaffingTargets, required_agents

    t = config.targets
    targets = StaffingTargets(
        service_level_target=t.service_level_target,
        answer_target_seconds=t.answer_target_seconds,
        max_asa_seconds=t.max_asa_seconds,
        max_abandon_rate=t.max_abandon_rate if t.model == "erlang-a" else None,
        max_occupancy=t.max_occupancy,
    )
    return required_agents(
        forecast.loc[:, ["queue", "interval_start", "calls_forecast", "aht_seconds_forecast"]],
        targets,
        model=t.model,  # type: ignore[arg-type]
        patience_seconds=config.patience_by_queue(forecast["queue"].unique()),
        shrinkage=config.shrinkage,
        min_agents=config.min_agents,
        interval_minutes=interval_minutes,
    )


def _evaluate(plan: pd.DataFrame, config: PlanConfig, interval_minutes: int) -> Evaluation:
    """Per-interval KPIs of every queue (its own patience); aggregates weighted by calls."""
    from planner.evaluate import evaluate_plan

    t = config.targets
    return evaluate_plan(
        plan,
        "agents_scheduled",
        shrinkage=config.shrinkage,
        model=t.model,
        patience_seconds=config.patience_by_queue(plan["queue"].unique()),
        answer_target_seconds=t.answer_target_seconds,
        service_level_target=t.service_level_target or 0.0,
        max_abandon_rate=t.max_abandon_rate,
        interval_minutes=interval_minutes,
    )


def _roster_week(
    requirements: pd.DataFrame,
    settings: ScheduleSettings,
    previous: pd.DataFrame | None,
    interval_minutes: int,
    progress: ProgressCallback | None,
) -> Any:
    from planner.scheduling import build_roster

    return build_roster(
        requirements,
        settings.rules,
        previous_roster=previous,
        time_limit_seconds=settings.time_limit_seconds,
        seed=settings.seed,
        num_workers=settings.num_workers,
        method=settings.method,
        interval_minutes=interval_minutes,
        progress=progress,
    )


def run_plan(
    history: pd.DataFrame,
    config: PlanConfig,
    *,
    start: dt.date | str | None = None,
    weeks: int = 1,
    out_dir: str | Path,
    progress: ProgressCallback | None = None,
    gap_notes: list[str] | None = None,
    title: str = "Workforce plan",
    workers: int | None = None,
    dask_address: str | None = None,
    size_workforce: WorkforceSizer | None = None,
) -> PipelineResult:
    """Run every stage on ``history`` for the plan window and write the outputs into ``out_dir``.

    Parameters
    ----------
    history
        Validated long history frame (:func:`planner.io.read_history`): ``queue``,
        tz-aware ``interval_start``, ``calls_offered``, ``aht_seconds`` and optional outcome
        columns. Not modified.
    config
        The plan file (:func:`planner.config.load_config`).
    start
        First local day of the plan; None: the day after the history ends. History inside the
        window is kept apart as the actuals of the accuracy stage.
    weeks
        Length of the plan window in weeks (>= 1); each week is rostered in turn, the previous
        week's roster carried into the next (rest, warm start).
    out_dir
        Folder for every output (created).
    progress
        Optional ``progress(description, done, total)`` callback: one step per stage, plus the
        stages' own progress.
    gap_notes
        Notes about the history (e.g. its gap report) to carry into the notes and the report.
    title
        Title of the report.
    workers, dask_address
        Where the forecast's per-queue fits run (:mod:`planner.parallel`): local processes, an
        existing Dask cluster, or (both None) this process unless a pool pays off.
    size_workforce
        Optional sizing step between staffing and the roster (e.g.
        :func:`size_workforce_from_design`): it replaces the plan file's agents with a workforce
        sized from the first week's requirements, and its note goes into the notes. None: the
        plan file's agents as given.

    Returns
    -------
    PipelineResult

    Raises
    ------
    InputError
        Bad history, start or weeks; a history with less than one day before ``start``.
    """
    from planner.io import validate_history
    from planner.parallel_forecast import forecast_on_best_backend

    if isinstance(weeks, bool) or not isinstance(weeks, int | np.integer) or weeks < 1:
        raise InputError(f"weeks must be a whole number >= 1, got {weeks!r}")
    if not isinstance(history, pd.DataFrame):
        raise InputError(f"history must be a pandas DataFrame, got {type(history).__name__}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = PipelineResult(out_dir=out, stages={stage: "not run" for stage in STAGES})
    result.notes.extend(gap_notes or [])
    fmt = config.output.format
    total = len(STAGES)

    # history ------------------------------------------------------------------------------------
    report(progress, "plan", 0, total)
    clock = [time.perf_counter()]

    def done(stage: str) -> None:
        now = time.perf_counter()
        result.seconds[stage] = now - clock[0]
        clock[0] = now
        report(progress, "plan", STAGES.index(stage) + 1, total)

    frame = history
    if config.timezone is not None:
        frame = frame.assign(interval_start=frame["interval_start"].dt.tz_convert(config.timezone))
    begin, end = _window(frame, start, weeks)
    fit = frame.loc[frame["interval_start"] < begin].reset_index(drop=True)
    actuals = frame.loc[
        (frame["interval_start"] >= begin) & (frame["interval_start"] < end)
    ].reset_index(drop=True)
    if fit.empty:
        raise InputError(
            f"history has no rows before the plan start {begin.date()}; expected history to "
            "forecast from (first row "
            f"{frame['interval_start'].min()})"
        )
    load = validate_history(fit, source="history")
    interval_minutes = load.interval_minutes
    result.notes.extend(load.notes)
    if len(load.gaps):
        days = load.gaps.loc[load.gaps["kind"] == "day"]
        result.notes.append(
            f"history gap report: {len(load.gaps)} gaps ({len(days)} whole missing days); see "
            "history_gaps"
        )
        _write(result, "history_gaps", load.gaps, "history_gaps", fmt)
    result.frames["history"] = fit
    result.stages["history"] = "ran"
    done("history")

    # KPIs achieved in the history ---------------------------------------------------------------
    _history_kpis(result, fit, config, interval_minutes, fmt)
    done("history_kpis")

    # forecast -----------------------------------------------------------------------------------
    last_day = fit["interval_start"].max().normalize()
    horizon_days = int(round((end - last_day) / pd.Timedelta(days=1)))
    f = config.forecast
    run, scaled = forecast_on_best_backend(
        fit,
        max(horizon_days, 1),
        method=f.method,
        candidates=f.candidates,
        auto_origins=f.auto_origins,
        country_holidays=f.country_holidays,
        seed=f.seed,
        workers=workers,
        dask_address=dask_address,
        progress=progress,
    )
    if scaled is not None:
        scaled.run.raise_for_failures()  # a plan needs every queue's forecast
    forecast = run.frame.loc[
        (run.frame["interval_start"] >= begin) & (run.frame["interval_start"] < end)
    ].reset_index(drop=True)
    if forecast.empty:
        raise InputError(
            f"the forecast has no open interval between {begin} and {end}; expected the plan "
            "window to overlap the centre's opening hours"
        )
    _write(result, "forecast", forecast, "forecast", fmt)
    _write(result, "forecast_methods", run.choices_frame(), "forecast_methods", fmt)
    result.stages["forecast"] = "ran"
    done("forecast")

    # staffing -----------------------------------------------------------------------------------
    requirements = _required(forecast, config, interval_minutes)
    _write(result, "requirements", requirements, "requirements", fmt)
    result.stages["staffing"] = "ran"
    done("staffing")

    # schedule -----------------------------------------------------------------------------------
    heads: pd.DataFrame | None = None
    if config.schedule.rules is None:
        result.stages["schedule"] = "not run: the plan file gives no shift rules"
    else:
        if size_workforce is not None:
            config = _sized_config(
                result, requirements, config, begin, interval_minutes, size_workforce, progress
            )
        heads = _schedule(result, requirements, config, begin, weeks, interval_minutes, progress)
    if heads is None:
        plan = requirements.assign(agents_scheduled=requirements["agents_to_schedule"])
        result.notes.append(
            "no roster: the evaluation takes staffing's agents_to_schedule as scheduled "
            "(a perfect roster)"
        )
    else:
        plan = requirements.merge(
            heads.loc[:, ["queue", "interval_start", "agents_scheduled"]],
            on=["queue", "interval_start"],
            how="left",
        )
        plan["agents_scheduled"] = plan["agents_scheduled"].fillna(0).astype(np.int64)
    done("schedule")

    # evaluate -----------------------------------------------------------------------------------
    plan = plan.loc[
        :, ["queue", "interval_start", "calls_forecast", "aht_seconds_forecast", "agents_scheduled"]
    ]
    evaluation = _evaluate(plan, config, interval_minutes)
    _write(result, "evaluation", evaluation.intervals, "evaluation", fmt)
    _write(result, "kpis_daily", evaluation.daily, "kpis_daily", fmt)
    _write(result, "kpis_weekly", evaluation.weekly, "kpis_weekly", fmt)
    _write(result, "kpis_total", evaluation.totals, "kpis_total", fmt)
    _write(result, "missing_target", evaluation.missing_target, "missing_target", fmt)
    result.summary = evaluation.totals
    result.stages["evaluate"] = "ran"
    done("evaluate")

    # simulate -----------------------------------------------------------------------------------
    _simulate(result, plan, config, begin, interval_minutes, fmt, progress)
    done("simulate")

    # scenarios ----------------------------------------------------------------------------------
    _scenarios(result, forecast, plan, config, interval_minutes, fmt)
    done("scenarios")

    # accuracy -----------------------------------------------------------------------------------
    if actuals.empty:
        result.stages["accuracy"] = "not run: no history inside the plan window to compare with"
    else:
        _accuracy(result, forecast, plan, fit, actuals, config, interval_minutes, fmt)
    done("accuracy")

    # report -------------------------------------------------------------------------------------
    # The report's stage is known before it is written, so the summary file records it too.
    result.stages["report"] = "ran" if config.output.report else "not run: output.report is false"
    summary_path = out / "plan_summary.json"
    summary_path.write_text(
        json.dumps(
            {
                "start": str(begin),
                "end": str(end),
                "weeks": weeks,
                "interval_minutes": interval_minutes,
                "stages": result.stages,
                "notes": result.notes,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    result.outputs["plan_summary"] = summary_path
    if config.output.report:
        from planner.report import write_report

        result.outputs["report"] = write_report(
            out / "report.html",
            title=title,
            window=(begin, end),
            history=fit,
            forecast=forecast,
            requirements=requirements,
            coverage=heads,
            roster=result.frames.get("roster"),
            activities=result.frames.get("activities"),
            evaluation=evaluation.intervals,
            kpis=evaluation.totals,
            kpis_daily=evaluation.daily,
            model=config.targets.model,
            simulation=result.frames.get("simulation_intervals"),
            simulation_daily=result.frames.get("simulation_daily"),
            history_kpis=result.frames.get("history_kpis_total"),
            history_kpis_weekly=result.frames.get("history_kpis_weekly"),
            scenarios=result.frames.get("scenarios"),
            accuracy=result.frames.get("accuracy_intervals"),
            accuracy_scores=result.frames.get("accuracy_scores"),
            service_level_target=config.targets.service_level_target,
            max_abandon_rate=config.targets.max_abandon_rate,
            stages=result.stages,
            notes=result.notes,
        )
    done("report")
    return result


def _sized_config(
    result: PipelineResult,
    requirements: pd.DataFrame,
    config: PlanConfig,
    begin: pd.Timestamp,
    interval_minutes: int,
    size_workforce: WorkforceSizer,
    progress: ProgressCallback | None,
) -> PlanConfig:
    """The config with the workforce sized from the first plan week (unchanged if it cannot be)."""
    assert config.schedule.rules is not None
    week = requirements.loc[
        (requirements["interval_start"] >= begin)
        & (requirements["interval_start"] < begin + pd.Timedelta(days=7))
    ].reset_index(drop=True)
    try:
        rules, note = size_workforce(
            week, config.schedule.rules, interval_minutes=interval_minutes, progress=progress
        )
    except InfeasibleError as error:
        result.notes.append(
            f"workforce sizing failed ({error}); the plan file's "
            f"{len(config.schedule.rules.agents)} agents are rostered instead"
        )
        return config
    result.notes.append(note)
    return replace(config, schedule=replace(config.schedule, rules=rules))


def size_workforce_from_design(
    requirements: pd.DataFrame,
    rules: ScheduleRules,
    *,
    interval_minutes: int,
    progress: ProgressCallback | None = None,
    time_limit_seconds: float = 15.0,
    seed: int = 0,
    num_workers: int | None = None,
    days_per_week: int = 5,
    floor_time_limit_seconds: float = 20.0,
) -> tuple[ScheduleRules, str]:
    """Size a full-/part-time workforce from an unconstrained shift design of one week.

    The week is designed with no headcount limit (:func:`planner.scheduling.design_shifts` with
    ``workforce_limits=False``); :func:`planner.scheduling.sizing.headcounts_from_design`
    turns the design into full-timers (its full-time hours at 40 h) and part-timers (its part-time
    shifts at ``days_per_week`` each, at least its busiest day's). The agents of ``rules`` are
    replaced by that many copies of its first ``full``-template agent and of its first
    ``part``-template agent (contract, availability and days off of those prototypes).

    Under a hard service-level floor (``min_interval_service_level_hard``) that workforce can be
    short on the days its weekly tours leave thin, so more copies of the part-time agent are
    added: the fewest with which the design with the workforce's weekly rules meets every floor
    (:func:`planner.scheduling.sizing.part_timers_for_hard_floor`, one CP-SAT worker).

    Parameters
    ----------
    requirements : DataFrame
        Staffing's requirements (``queue``, ``interval_start``, ``agents_to_schedule``, ...) of at
        most 7 local days.
    rules : ScheduleRules
        Rules with shift templates named ``full`` and ``part`` and at least one agent for each.
    interval_minutes : int
        Interval length (minutes).
    progress
        Optional progress callback.
    time_limit_seconds, seed, num_workers
        CP-SAT limits of the design (seconds; the same seed and workers give the same design).
    days_per_week
        Days a part-timer works (shifts per part-timer).
    floor_time_limit_seconds
        CP-SAT time (seconds) of the hard-floor sizing model (only under a hard floor).

    Returns
    -------
    (ScheduleRules, str)
        The rules with the sized agents, and a note saying so.

    Raises
    ------
    ConfigError
        ``rules`` has no agent for the ``full`` or the ``part`` template.
    InfeasibleError
        The design finds no solution in time; under a hard floor, no workforce meeting it is
        found (see :func:`~planner.scheduling.sizing.part_timers_for_hard_floor`).
    """
    from planner.errors import ConfigError
    from planner.scheduling import design_shifts
    from planner.scheduling.rules import AgentRules
    from planner.scheduling.sizing import headcounts_from_design, part_timers_for_hard_floor

    prototypes: dict[str, AgentRules] = {}
    for agent in rules.agents:
        for name in ("full", "part"):
            if agent.templates == (name,) and name not in prototypes:
                prototypes[name] = agent
    missing = [name for name in ("full", "part") if name not in prototypes]
    if missing:
        raise ConfigError(
            f"size_workforce_from_design: rules.agents has no agent working only the "
            f"{missing[0]!r} template; expected one full-time and one part-time agent to copy"
        )
    design = design_shifts(
        requirements,
        rules,
        time_limit_seconds=time_limit_seconds,
        seed=seed,
        num_workers=num_workers,
        progress=progress,
        interval_minutes=interval_minutes,
        workforce_limits=False,
    )
    full, part = headcounts_from_design(design, days_per_week=days_per_week)

    def with_extra(extra: int) -> ScheduleRules:
        """The design's headcounts plus ``extra`` part-timers (copies of the prototypes)."""
        agents = tuple(
            replace(prototypes[name], agent_id=f"{prefix}{k:03d}")
            for name, prefix, count in (("full", "F", full), ("part", "P", part + extra))
            for k in range(1, count + 1)
        )
        return replace(rules, agents=agents)

    note = (
        f"workforce sized from an unconstrained shift design: {full} full-time + {part} "
        f"part-time (the plan file has {len(rules.agents)}; design {design.summary.status}, "
        f"proven gap {100 * design.summary.gap:.1f} %, {time_limit_seconds:.0f} s limit, "
        f"seed {seed})"
    )
    if not rules.min_interval_service_level_hard:
        return with_extra(0), note
    sized = part_timers_for_hard_floor(
        requirements,
        with_extra,
        interval_minutes=interval_minutes,
        time_limit_seconds=floor_time_limit_seconds,
        seed=seed,
        progress=progress,
    )
    note += (
        f"; {sized.extra_part_time} more part-time for the hard "
        f"{100 * rules.min_interval_service_level:g} % floor (the fewest with which the week's "
        f"tours can staff every floor{'' if sized.fewest_proven else ', not proven fewest'}"
        f"{'' if sized.confirmed else ', feasibility unconfirmed in time'}; "
        f"{sized.seconds:.0f} s)"
    )
    return sized.rules, note


def _schedule(
    result: PipelineResult,
    requirements: pd.DataFrame,
    config: PlanConfig,
    begin: pd.Timestamp,
    weeks: int,
    interval_minutes: int,
    progress: ProgressCallback | None,
) -> pd.DataFrame | None:
    """Roster each week; write roster, breaks, coverage; heads per queue and interval, or None."""
    from planner.scheduling import split_coverage_by_queue
    from planner.scheduling.penalties import hard_floor_heads_by_row

    fmt = config.output.format
    rosters, activities, coverages, summaries = [], [], [], []
    previous = None
    for week in range(weeks):
        lo = begin + pd.Timedelta(days=7 * week)
        hi = lo + pd.Timedelta(days=7)
        part = requirements.loc[
            (requirements["interval_start"] >= lo) & (requirements["interval_start"] < hi)
        ].reset_index(drop=True)
        if part.empty:
            continue
        try:
            roster = _roster_week(part, config.schedule, previous, interval_minutes, progress)
        except InfeasibleError as error:
            result.stages["schedule"] = f"not run: week of {lo.date()}: {error}"
            result.notes.append(f"schedule: week of {lo.date()}: {error}")
            return None
        previous = roster.roster
        rosters.append(roster.roster)
        activities.append(roster.activities)
        # under a hard floor every queue keeps its own floor heads, not only the pool
        floor = hard_floor_heads_by_row(part, config.schedule.rules)
        coverages.append(split_coverage_by_queue(roster.coverage, part, floor_heads_per_row=floor))
        summaries.append({"week_start": str(lo.date()), **roster.summary.to_dict()})
        s = roster.summary
        result.notes.append(
            f"roster week of {lo.date()}: {s.status} ({s.method}), {s.agents_working} of "
            f"{s.agents} agents, {s.paid_hours:,.1f} paid hours, under-coverage "
            f"{s.under_agent_hours:,.1f} agent-hours, proven gap {100 * s.gap:.1f} % in "
            f"{s.solve_seconds:.0f} s"
        )
    if not rosters:
        result.stages["schedule"] = "not run: no requirement inside the plan window"
        return None
    _write(result, "roster", pd.concat(rosters, ignore_index=True), "roster", fmt)
    _write(result, "activities", pd.concat(activities, ignore_index=True), "activities", fmt)
    coverage = pd.concat(coverages, ignore_index=True)
    _write(result, "coverage", coverage, "coverage", fmt)
    path = result.out_dir / "schedule_summary.json"
    path.write_text(json.dumps(summaries, indent=2, default=str) + "\n", encoding="utf-8")
    result.outputs["schedule_summary"] = path
    result.stages["schedule"] = "ran"
    return coverage


def _scenarios(
    result: PipelineResult,
    forecast: pd.DataFrame,
    plan: pd.DataFrame,
    config: PlanConfig,
    interval_minutes: int,
    fmt: str,
) -> None:
    """Everyday and custom what-ifs against the plan's heads, every queue with its patience."""
    from planner.scenarios import everyday_scenarios, run_scenarios

    s = config.scenarios
    rules = config.schedule.rules
    scenarios = everyday_scenarios(include_agents_lost=rules is not None) if s.everyday else []
    scenarios += list(s.custom)
    if not scenarios:
        result.stages["scenarios"] = "not run: the plan file asks for none"
        return
    t = config.targets
    comparison = run_scenarios(
        forecast.loc[:, ["queue", "interval_start", "calls_forecast", "aht_seconds_forecast"]],
        scenarios,
        current_agents=plan.loc[:, ["queue", "interval_start", "agents_scheduled"]],
        shrinkage=config.shrinkage,
        service_level_target=t.service_level_target or 0.0,
        answer_target_seconds=t.answer_target_seconds,
        max_abandon_rate=t.max_abandon_rate,
        patience_seconds=config.patience_by_queue(forecast["queue"].unique()),
        model=t.model,
        cost_per_agent_hour=s.cost_per_agent_hour,
        headcount=len(rules.agents) if rules is not None else None,
        interval_minutes=interval_minutes,
    )
    _write(result, "scenarios", comparison.summary, "scenarios", fmt)
    result.notes.extend(
        f"scenarios: {note}"
        for note in comparison.notes
        if "scheduling not run" not in note  # re-staffed scenarios are not rostered: said below
    )
    result.notes.append(
        "scenarios are run against the plan's heads per queue; re-staffed scenarios show "
        "staffing's requirement, not a new roster; 'lose 5 agents' removes them from the whole "
        "workforce, in proportion in every queue and interval"
    )
    result.stages["scenarios"] = "ran"


def _simulate(
    result: PipelineResult,
    plan: pd.DataFrame,
    config: PlanConfig,
    begin: pd.Timestamp,
    interval_minutes: int,
    fmt: str,
    progress: ProgressCallback | None,
) -> None:
    """Simulate the plan's first week call by call, every queue with its own patience.

    One call for all queues with the plan file's ``simulation.seed``: :func:`simulate_plan`
    derives each queue's random streams from that seed and the queue's name, so a queue's
    simulated calls do not change when other queues are added or removed.
    """
    from planner.simulate import simulate_plan

    settings = config.simulation
    if not settings.run:
        result.stages["simulate"] = "not run: simulation.run is false"
        return
    week = plan.loc[plan["interval_start"] < begin + pd.Timedelta(days=7)]
    patience = config.patience_by_queue(week["queue"].unique())
    run = simulate_plan(
        week,
        "agents_scheduled",
        shrinkage=config.shrinkage,
        handle_time=settings.handle_time,  # type: ignore[arg-type]
        aht_cv=settings.aht_cv,
        patience="exponential" if patience is not None else None,
        patience_seconds=patience,
        answer_target_seconds=config.targets.answer_target_seconds,
        replications=settings.replications,
        seed=settings.seed,
        interval_minutes=interval_minutes,
        progress=progress,
    )
    for label, frame in (
        ("intervals", run.intervals),
        ("daily", run.daily),
        ("totals", run.totals),
    ):
        _write(result, f"simulation_{label}", frame, f"simulation_{label}", fmt)
    first = week["interval_start"].min().date()
    result.notes.append(
        f"simulation: the week from {first}, {settings.replications} replications "
        f"({settings.handle_time} handle times, "
        + ("exponential patience per queue" if patience is not None else "nobody abandons")
        + f", seed {settings.seed}); confidence intervals at 95 %"
    )
    result.stages["simulate"] = "ran"


def _history_kpis(
    result: PipelineResult,
    fit: pd.DataFrame,
    config: PlanConfig,
    interval_minutes: int,
    fmt: str,
) -> None:
    """KPIs the centre achieved in the history before the plan, with their spread."""
    from planner.kpi import kpi_report

    t = config.targets
    kpis = kpi_report(
        fit,
        service_level_target=t.service_level_target or 0.0,
        max_abandon_rate=t.max_abandon_rate,
        cost_per_agent_hour=config.scenarios.cost_per_agent_hour,
        interval_minutes=interval_minutes,
    )
    _write(result, "history_kpis_weekly", kpis.weekly, "history_kpis_weekly", fmt)
    _write(result, "history_kpis_total", kpis.totals, "history_kpis_total", fmt)
    result.notes.extend(f"history KPIs: {note}" for note in kpis.notes)
    result.stages["history_kpis"] = "ran"


def _accuracy(
    result: PipelineResult,
    forecast: pd.DataFrame,
    plan: pd.DataFrame,
    fit: pd.DataFrame,
    actuals: pd.DataFrame,
    config: PlanConfig,
    interval_minutes: int,
    fmt: str,
) -> None:
    """Forecast against the actuals inside the plan window (MASE scaled on the fitted history).

    Planned against achieved re-evaluates the plan with the plan's own model: Erlang A with each
    queue's patience when the plan file says ``erlang-a``, else Erlang C.
    """
    from planner.accuracy import forecast_accuracy

    t = config.targets
    accuracy = forecast_accuracy(
        forecast,
        pd.concat([fit, actuals], ignore_index=True),
        agents=plan.loc[:, ["queue", "interval_start", "agents_scheduled"]],
        shrinkage=config.shrinkage,
        model=t.model,
        patience_seconds=config.patience_by_queue(forecast["queue"].unique()),
        answer_target_seconds=t.answer_target_seconds,
        interval_minutes=interval_minutes,
        source="history",
    )
    _write(result, "accuracy_intervals", accuracy.intervals, "accuracy_intervals", fmt)
    _write(result, "accuracy_scores", accuracy.scores, "accuracy_scores", fmt)
    _write(result, "accuracy_daily", accuracy.daily, "accuracy_daily", fmt)
    if accuracy.planned_vs_achieved is not None:
        _write(
            result, "planned_vs_achieved", accuracy.planned_vs_achieved, "planned_vs_achieved", fmt
        )
    result.notes.extend(f"accuracy: {note}" for note in accuracy.notes)
    result.stages["accuracy"] = "ran"


DEMO_SIZING_SECONDS = 15.0
"""CP-SAT time (seconds) of the unconstrained design that sizes the demo's workforce."""


def demo_config(*, time_limit_seconds: float = 45.0) -> PlanConfig:
    """The example plan file (``planner init``) tuned for the sample centre and a quick demo.

    The forecast is ``auto`` over the default candidates (top-down and the two baselines, a few
    seconds for the three queues; Prophet on the interval series is left out, as by default); the
    roster of one week gets ``time_limit_seconds`` of CP-SAT time with the two-phase method
    (design from the LP relaxation's shift types, then named agents): on the sample's 205 agents
    within 45 s it found a roster for solver seeds 0-2 with a proven gap of 0.3-0.4 % in 34 s,
    where the one-model method ("single") ended at a 40.6 % gap after 45 s (2026-11-22, 2 cores).
    :func:`run_demo` replaces those 205 agents by a workforce sized for the plan week (on the
    default seed 48 full-time + 202 part-time: 10-26 of the week's 844 queue-intervals below
    target over three runs instead of 235; ``planner demo`` 57 s in all, 2026-11-22, 2 cores).
    """
    from planner.config import EXAMPLE_PLAN, ForecastSettings, load_config

    config = load_config(Path(__file__).resolve().parent / "data" / EXAMPLE_PLAN)
    return replace(
        config,
        forecast=ForecastSettings(method="auto", country_holidays="GB", seed=0),
        schedule=replace(
            config.schedule, time_limit_seconds=time_limit_seconds, method="two_phase"
        ),
    )


def run_demo(
    out_dir: str | Path,
    *,
    seed: int = 7,
    progress: ProgressCallback | None = None,
    config: PlanConfig | None = None,
    years: float = 1.0,
    size_workforce: bool = True,
) -> PipelineResult:
    """The sample centre through :func:`run_plan`, its last week held out as the actuals.

    As a planner would, the demo sizes its workforce for the plan week before rostering it
    (:func:`size_workforce_from_design`, :data:`DEMO_SIZING_SECONDS` of CP-SAT time on one
    worker, the plan file's solver seed): the plan file's 205 agents are replaced by full- and
    part-timers for an unconstrained design of the week, and the notes say how many.

    Parameters
    ----------
    out_dir
        Folder for every output.
    seed
        Seed of the sample centre.
    progress
        Optional progress callback.
    config
        Plan settings; :func:`demo_config` when None.
    years
        Years of sample history (the last week is the plan week).
    size_workforce
        Size the workforce from the plan week's design (True) or roster the plan file's agents.
    """
    from planner.io import validate_history, write_frame
    from planner.sample import SAMPLE_TIMEZONE, generate_sample_history

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report(progress, "sample centre", 0, 1)
    # Starts on a Monday in March so the held-out last week is a whole week clear of Christmas.
    history = generate_sample_history(seed=seed, years=years, start="2025-03-03")
    report(progress, "sample centre", 1, 1)
    tz = SAMPLE_TIMEZONE
    last = history["interval_start"].max().tz_convert(tz)
    # The last whole Monday-to-Sunday week of the history is the plan week.
    last_day = last.normalize()
    if last_day.day_of_week == 6:  # the history ends on a Sunday: its own week is whole
        monday = last_day - pd.Timedelta(days=6)
    else:
        monday = last_day - pd.Timedelta(days=last_day.day_of_week + 7)
    end_monday = monday
    start = end_monday.date()
    history = history.loc[history["interval_start"] < end_monday + pd.Timedelta(days=7)]
    history = history.reset_index(drop=True)
    load = validate_history(history, source="sample centre")
    notes = [
        f"sample centre: {len(history):,} open intervals, queues "
        f"{sorted(history['queue'].unique())}, {tz}; the week from {start} is held out as the "
        "actuals",
    ]
    holiday_days = int((load.gaps["kind"] == "day").sum()) if len(load.gaps) else 0
    if holiday_days:
        notes.append(
            f"sample centre: the gap report lists {holiday_days} missing days: UK bank holidays, "
            "when the sample's queues are closed (support opens on weekend hours); not data loss"
        )
    config = config if config is not None else demo_config()
    sizer = partial(
        size_workforce_from_design,
        time_limit_seconds=DEMO_SIZING_SECONDS,
        seed=config.schedule.seed,
        # one worker: CP-SAT's parallel portfolio stops at a different point on each run (the
        # headcounts moved by 2 part-timers between two runs with 2 workers); one worker
        # followed the same search and gave the same headcounts on repeated runs
        num_workers=1,
    )
    result = run_plan(
        history,
        config,
        start=start,
        weeks=1,
        out_dir=out,
        progress=progress,
        gap_notes=notes,
        title="Sample centre: plan for the held-out week",
        size_workforce=sizer if size_workforce else None,
    )
    result.outputs = {
        "sample_history": write_frame(history, out / "sample_history.csv"),
        **result.outputs,
    }
    return result
