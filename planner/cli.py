"""The ``planner`` command line: a thin adapter over the core library.

Every command reads files, calls ``planner`` functions and writes files. A :class:`PlannerError`
becomes one line ``planner: error: ...`` on stderr and exit status 2, never a traceback.
Each pipeline stage adds its own command here; keep the maths in the core modules.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import click
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from planner.errors import PlannerError
from planner.progress import ProgressCallback

if TYPE_CHECKING:
    import pandas as pd

    from planner.parallel import PerQueueRun
    from planner.scheduling.problem import SolveEvent

app = typer.Typer(
    name="planner",
    help="Workforce planner for contact centres: forecast, staff, schedule, evaluate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


@contextmanager
def progress_bars() -> Iterator[ProgressCallback]:
    """Yield a ``progress(description, done, total)`` callback that drives rich progress bars.

    Each distinct description gets its own bar; bars are hidden when stderr is not a terminal.
    """
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=console, transient=False, disable=not console.is_terminal
    ) as bars:
        task_ids: dict[str, TaskID] = {}

        def callback(description: str, done: int, total: int) -> None:
            if description not in task_ids:
                task_ids[description] = bars.add_task(description, total=total or None)
            bars.update(task_ids[description], completed=done, total=total or None)

        yield callback


OutPath = Annotated[Path, typer.Option("--out", "-o", help="Output file or folder.")]
TzOption = Annotated[
    str | None, typer.Option("--tz", help="IANA time zone of naive timestamps, e.g. Europe/London.")
]
CountryOption = Annotated[
    str | None, typer.Option("--country", help="Public holidays of this country, e.g. US, GB.")
]
ProphetSeedOption = Annotated[int, typer.Option(help="Seed of Prophet's uncertainty draws.")]


@app.command("sample")
def sample_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV or Parquet file to write.")] = Path(
        "sample-history.csv"
    ),
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same centre.")
    ] = 7,
    years: Annotated[float, typer.Option(min=0.1, max=10, help="Years of history.")] = 2.0,
) -> None:
    """Write the built-in synthetic sample centre's interval history."""
    from planner.io import write_frame
    from planner.sample import generate_sample_history

    history = generate_sample_history(seed=seed, years=years)
    write_frame(history, out)
    console.print(
        f"wrote {len(history):,} rows for queues {sorted(history['queue'].unique())} to {out}"
    )


@app.command("demo")
def demo_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for every output.")] = Path(
        "planner-demo"
    ),
    seed: Annotated[int, typer.Option(help="Random seed of the sample centre.")] = 7,
    time_limit_seconds: Annotated[
        float, typer.Option(min=1, help="CP-SAT time for the week's roster.")
    ] = 45.0,
) -> None:
    """`planner plan` on the built-in sample centre, its last week held out as the actuals."""
    from planner.pipeline import demo_config, run_demo

    with progress_bars() as progress:
        result = run_demo(
            out,
            seed=seed,
            progress=progress,
            config=demo_config(time_limit_seconds=time_limit_seconds),
        )
    _print_plan_result(result, "Demo finished.")


def _print_plan_result(result: object, headline: str) -> None:
    """Stages, notes, the KPIs weighted by calls, the outputs; the report's path last."""
    console.print(f"[bold]{headline}[/bold] Outputs in {result.out_dir.resolve()}:")  # type: ignore[attr-defined]
    for stage, state in result.stages.items():  # type: ignore[attr-defined]
        console.print(f"  stage {stage:<10} {state}")
    _print_notes(result.notes)  # type: ignore[attr-defined]
    summary = result.summary  # type: ignore[attr-defined]
    if len(summary):
        _print_frame(
            "KPIs of the plan (weighted by calls)",
            summary,
            {
                "queue": "",
                "calls_forecast": ",.0f",
                "service_level": ".1%",
                "asa_seconds": ".1f",
                "abandon_rate": ".1%",
                "occupancy": ".1%",
                "intervals_missing_target": "d",
            },
        )
    for label, path in result.outputs.items():  # type: ignore[attr-defined]
        if label != "report":
            console.print(f"  {label:<24} {path}")
    if "report" in result.outputs:  # type: ignore[attr-defined]
        console.print("report:")
        print(result.outputs["report"].resolve())  # type: ignore[attr-defined]


@app.command("init")
def init_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Plan file to write.")] = Path(
        "plan.toml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example plan file (targets, shrinkage, patience, shift rules, agents)."""
    from planner.config import example_plan_text
    from planner.errors import ConfigError

    if out.exists() and not force:
        raise ConfigError(f"{out}: already exists; expected a new file name (or pass --force)")
    out.write_text(example_plan_text(), encoding="utf-8")
    console.print(f"wrote {out}: edit it, then run `planner plan HISTORY --config {out}`")


@app.command("plan")
def plan_command(
    history: Annotated[Path, typer.Argument(help="Interval history CSV/Parquet.")],
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Plan file (planner init writes one).")
    ] = Path("plan.toml"),
    start: Annotated[
        str | None,
        typer.Option(
            help="First day of the plan (YYYY-MM-DD); default: the day after the history. "
            "History inside the plan window is compared as actuals."
        ),
    ] = None,
    weeks: Annotated[int, typer.Option(min=1, max=8, help="Weeks to plan.")] = 1,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for every output and report.html.")
    ] = Path("plan"),
    tz: Annotated[
        str | None,
        typer.Option(help="Local time zone of the centre (overrides the plan file's timezone)."),
    ] = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
) -> None:
    """The whole pipeline: forecast, staffing, roster, evaluation, scenarios, accuracy, report."""
    from dataclasses import replace

    from planner.config import load_config
    from planner.io import load_history
    from planner.pipeline import run_plan

    settings = load_config(config)
    if tz is not None:
        settings = replace(settings, timezone=tz)
    load = load_history(history, tz=settings.timezone)
    with progress_bars() as progress:
        result = run_plan(
            load.frame,
            settings,
            start=start,
            weeks=weeks,
            out_dir=out,
            progress=progress,
            gap_notes=[f"{history.name}: {note}" for note in load.notes],
            title=f"Plan from {history.name}",
            workers=workers,
            dask_address=dask or None,
        )
    _print_plan_result(result, "Plan finished.")


def _parse_column_map(items: list[str] | None) -> dict[str, str]:
    """``["old=new", ...]`` -> ``{"old": "new"}``; ``old=`` ignores a column."""
    from planner.errors import InputError

    mapping: dict[str, str] = {}
    for item in items or []:
        old, sep, new = item.partition("=")
        if not sep or not old.strip():
            raise InputError(
                f"--map must be COLUMN=PLANNER_COLUMN (e.g. --map ds=interval_start), got {item!r}"
            )
        mapping[old.strip()] = new.strip()
    return mapping


def _short_time(stamp: object) -> str:
    """``2003-03-03 07:00 -05:00`` for people (tables), ISO otherwise."""
    text = stamp.isoformat() if hasattr(stamp, "isoformat") else str(stamp)
    date_time, offset = text[:16], text[19:] if len(text) > 19 and text[16:19] == ":00" else ""
    return f"{date_time.replace('T', ' ')} {offset}".strip() if offset or len(text) <= 19 else text


@app.command("validate")
def validate_command(
    history: Annotated[Path, typer.Argument(help="Interval history, CSV or Parquet.")],
    tz: TzOption = None,
    column_map: Annotated[
        list[str] | None,
        typer.Option("--map", help="Rename a column: --map OLD=NEW (repeatable); OLD= ignores it."),
    ] = None,
    gap_rows: Annotated[int, typer.Option(min=0, help="How many gaps to list.")] = 10,
) -> None:
    """Check a history file and print a summary: queues, span, interval, gaps, totals."""
    from rich.table import Table

    from planner.io import load_history, summarise_history

    load = load_history(history, tz=tz, column_map=_parse_column_map(column_map))
    summary = summarise_history(load)
    out = Console()
    title = f"{history}: {len(load.frame):,} rows, {load.interval_minutes}-minute intervals"
    table = Table(title=title)
    for label in (
        "queue",
        "first interval",
        "last interval",
        "rows",
        "days",
        "missing days",
        "missing intervals",
        "calls offered",
        "AHT s (by calls)",
    ):
        table.add_column(label, justify="left" if label == "queue" else "right")
    for row in summary.itertuples(index=False):
        weighted = float(row.aht_seconds_weighted)
        aht = "-" if weighted != weighted else f"{weighted:.1f}"  # NaN: no AHT column
        table.add_row(
            str(row.queue),
            _short_time(row.first_interval),
            _short_time(row.last_interval),
            f"{row.rows:,}",
            f"{row.days:,}",
            f"{row.missing_days:,}",
            f"{row.missing_intervals:,}",
            f"{row.calls_offered_total:,.0f}",
            aht,
        )
    out.print(table)
    gaps = load.gaps
    days = int((gaps["kind"] == "day").sum())
    runs = int((gaps["kind"] == "intervals").sum())
    intervals = int(gaps.loc[gaps["kind"] == "intervals", "missing_intervals"].sum())
    out.print(
        f"gaps: {days} missing days, {runs} runs of missing intervals ({intervals} intervals)"
    )
    if len(gaps):
        listing = Table(title=f"first {min(gap_rows, len(gaps))} of {len(gaps)} gaps")
        for label in ("queue", "kind", "from", "to", "missing intervals"):
            listing.add_column(label)
        for gap in gaps.head(gap_rows).itertuples(index=False):
            listing.add_row(
                str(gap.queue),
                str(gap.kind),
                _short_time(gap.gap_start),
                _short_time(gap.gap_end),
                str(gap.missing_intervals),
            )
        out.print(listing)
    for note in load.notes:
        out.print(f"note: {note}")


def _method_names(items: list[str] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """``["a,b", "c"]`` -> ``("a", "b", "c")``; the default when nothing was given."""
    names = [n.strip() for item in items or [] for n in item.split(",") if n.strip()]
    return tuple(names) or default


WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=0,
        help="Run the queues in N local worker processes (0: every core). Default: every core "
        "when there are enough queues for a pool's start-up to pay off, else this process "
        "(planner.parallel.resolve_workers).",
    ),
]
DaskOption = Annotated[
    str | None,
    typer.Option(
        "--dask",
        envvar="PLANNER_DASK_ADDRESS",
        help="Run the queues on a running Dask cluster, e.g. tcp://scheduler:8786 "
        "(default: $PLANNER_DASK_ADDRESS).",
    ),
]


def _per_queue_plan(
    workers: int | None, dask: str | None, n_queues: int, queue_seconds_estimate: float
) -> tuple[bool, int | None]:
    """``(in_process, pool_workers)`` for a command with ``--workers`` / ``--dask``.

    In this process when neither option is given and
    :func:`planner.parallel.resolve_workers` answers one worker; otherwise queue by queue, on
    ``pool_workers`` local processes (None with ``--dask``: the cluster's workers).
    """
    if dask:
        return False, None
    from planner.parallel import resolve_workers

    resolved = resolve_workers(workers, n_queues, queue_seconds_estimate=queue_seconds_estimate)
    return workers is None and resolved == 1, resolved


def _report_per_queue_run(run: PerQueueRun) -> None:
    """Print the queues, workers, wall time and slowest queues of a per-queue run, then raise
    its first failure (:meth:`planner.parallel.PerQueueRun.raise_for_failures`)."""
    slowest = ", ".join(f"{q} {s:.1f} s" for q, s in run.slowest(3).items())
    console.print(
        f"{len(run.queues)} queues on {run.workers} {run.backend} workers "
        f"in {run.wall_seconds:.1f} s; slowest: {slowest}"
    )
    run.raise_for_failures()


def _print_notes(notes: Iterable[str]) -> None:
    for note in notes:
        console.print(f"note: {note}")


@app.command("forecast")
def forecast_command(
    history: Annotated[Path, typer.Argument(help="Interval history, CSV or Parquet.")],
    horizon_days: Annotated[
        int, typer.Option("--horizon-days", min=1, max=365, help="Days to forecast.")
    ],
    out: OutPath = Path("forecast.csv"),
    method: Annotated[
        str,
        typer.Option(
            help="auto | topdown | prophet | mean-last-weeks | same-slot-last-week "
            "(auto: lowest backtest WAPE per queue)."
        ),
    ] = "auto",
    candidates: Annotated[
        list[str] | None,
        typer.Option("--candidates", help="Methods auto compares (comma-separated or repeated)."),
    ] = None,
    tz: TzOption = None,
    country: CountryOption = None,
    special_day: Annotated[
        list[str] | None,
        typer.Option(
            "--special-day", help="An extra holiday / special day, YYYY-MM-DD (repeatable)."
        ),
    ] = None,
    seed: ProphetSeedOption = 0,
    models_dir: Annotated[
        Path, typer.Option("--models-dir", help="Where fitted models and forecast versions go.")
    ] = Path("models"),
    save: Annotated[
        bool,
        typer.Option("--save/--no-save", help="Save the fitted models and a forecast version."),
    ] = True,
    workers: WorkersOption = None,
    dask: DaskOption = None,
) -> None:
    """Forecast calls (and AHT) per interval for the days after the history."""
    from rich.table import Table

    from planner.forecast import AUTO_CANDIDATES, save_forecast_version, save_model
    from planner.io import read_history, write_frame
    from planner.parallel_forecast import forecast_on_best_backend

    frame = read_history(history, tz=tz)
    with progress_bars() as progress:
        run, scaled = forecast_on_best_backend(
            frame,
            horizon_days,
            method=method,
            candidates=_method_names(candidates, AUTO_CANDIDATES),
            country_holidays=country,
            special_days=special_day,
            seed=seed,
            models_dir=models_dir if save else None,
            workers=workers,
            dask_address=dask or None,
            progress=progress,
        )
    write_frame(run.frame, out)
    table = Table(title=f"forecast: {len(run.frame):,} intervals, {horizon_days} days -> {out}")
    for label in ("queue", "method", "calls", "first interval", "last interval"):
        table.add_column(label, justify="right" if label == "calls" else "left")
    for choice in run.choices:
        rows = run.frame.loc[run.frame["queue"] == choice.queue]
        table.add_row(
            choice.queue,
            choice.method,
            f"{rows['calls_forecast'].sum():,.0f}",
            _short_time(rows["interval_start"].min()) if len(rows) else "-",
            _short_time(rows["interval_start"].max()) if len(rows) else "-",
        )
    Console().print(table)
    for choice in run.choices:
        console.print(f"{choice.queue}: {choice.method}: {choice.reason}")
    if save:
        version = save_forecast_version(run.frame, models_dir, choices=run.choices)
        for choice in run.choices if scaled is None else ():  # workers saved their queues' models
            save_model(run.models[choice.method], choice.queue, models_dir, scores=choice.scores)
        console.print(f"saved forecast version {version} and models under {models_dir}")
    if scaled is not None:
        _report_per_queue_run(scaled.run)


@app.command("backtest")
def backtest_command(
    history: Annotated[Path, typer.Argument(help="Interval history, CSV or Parquet.")],
    out: OutPath = Path("backtest.csv"),
    methods: Annotated[
        list[str] | None,
        typer.Option("--methods", help="Methods to compare (comma-separated or repeated)."),
    ] = None,
    origins: Annotated[int, typer.Option(min=1, max=104, help="Number of weekly origins.")] = 5,
    tz: TzOption = None,
    country: CountryOption = None,
    seed: ProphetSeedOption = 0,
    workers: WorkersOption = None,
    dask: DaskOption = None,
) -> None:
    """Rolling-origin accuracy (WAPE, bias, MASE) of each method, day-ahead and weeks 1 and 2."""
    from rich.table import Table

    from planner.forecast import METHODS, backtest
    from planner.io import read_history, write_frame

    frame = read_history(history, tz=tz)
    names = _method_names(methods, ("same-slot-last-week", "mean-last-weeks", "topdown", "prophet"))
    unknown = [n for n in names if n not in METHODS]
    if unknown:
        from planner.errors import InputError

        raise InputError(f"--methods must name methods in {sorted(METHODS)}, got {unknown}")
    from planner.parallel_forecast import estimated_queue_seconds

    in_process, pool_workers = _per_queue_plan(
        workers,
        dask,
        frame["queue"].nunique(),
        estimated_queue_seconds(frame, names, fits_per_method=origins),
    )
    scaled = None
    with progress_bars() as progress:
        if in_process:  # few queues: one process, no pool
            result = backtest(
                frame,
                names,
                n_origins=origins,
                country_holidays=country,
                seed=seed,
                progress=progress,
            )
        else:  # queue by queue on local processes or a Dask cluster (planner.parallel)
            from planner.parallel_forecast import backtest_per_queue

            scaled = backtest_per_queue(
                frame,
                names,
                n_origins=origins,
                country_holidays=country,
                seed=seed,
                workers=pool_workers,
                dask_address=dask or None,
                progress=progress,
            )
            result = scaled.result
    write_frame(result.scores, out)
    interval = result.scores.loc[result.scores["level"] == "interval"].sort_values(
        ["queue", "method", "horizon"], kind="stable"
    )
    first, last = result.origins[0].date(), result.origins[-1].date()
    table = Table(
        title=(
            f"backtest, {len(result.origins)} weekly origins {first} .. {last}, "
            f"per interval -> {out}"
        )
    )
    for label in ("queue", "method", "horizon", "WAPE %", "bias %", "MASE", "in interval %"):
        table.add_column(
            label, justify="left" if label in ("queue", "method", "horizon") else "right"
        )
    for row in interval.itertuples(index=False):
        table.add_row(
            str(row.queue),
            str(row.method),
            str(row.horizon),
            f"{100 * row.wape:.2f}",
            f"{100 * row.bias:+.2f}",
            f"{row.mase:.3f}",
            f"{100 * row.coverage:.1f}",
        )
    Console().print(table)
    if scaled is not None:
        _report_per_queue_run(scaled.run)


@app.command("staff")
def staff_command(
    forecast: Annotated[Path, typer.Argument(help="Forecast (or history) file, CSV or Parquet.")],
    out: OutPath = Path("requirements.csv"),
    service_level: Annotated[
        float | None,
        typer.Option("--service-level", help="Service-level target, fraction of offered calls."),
    ] = 0.8,
    answer_seconds: Annotated[
        float, typer.Option("--answer-seconds", help="Answer target of the service level, s.")
    ] = 20.0,
    max_asa_seconds: Annotated[
        float | None, typer.Option("--max-asa-seconds", help="Largest mean wait of answered calls.")
    ] = None,
    max_abandon_rate: Annotated[
        float | None,
        typer.Option("--max-abandon-rate", help="Largest abandonment fraction (erlang-a)."),
    ] = None,
    max_occupancy: Annotated[
        float | None, typer.Option("--max-occupancy", help="Largest agent occupancy fraction.")
    ] = None,
    shrinkage: Annotated[
        str,
        typer.Option(
            "--shrinkage",
            help="Shrinkage fraction in [0, 1), or the name of a per-interval column.",
        ),
    ] = "0",
    model: Annotated[str, typer.Option("--model", help="erlang-c | erlang-a")] = "erlang-c",
    patience_seconds: Annotated[
        float | None,
        typer.Option("--patience-seconds", help="Mean caller patience, s (erlang-a)."),
    ] = None,
    min_agents: Annotated[
        int, typer.Option("--min-agents", min=0, help="Floor of agents in every interval.")
    ] = 0,
    tz: TzOption = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
) -> None:
    """Agents required per interval for the service targets (Erlang C or Erlang A)."""
    import numpy as np

    from planner.io import read_forecast, write_frame
    from planner.staffing import StaffingTargets, required_agents

    try:
        shrink: float | str = float(shrinkage)
    except ValueError:
        shrink = shrinkage
    frame = read_forecast(forecast, tz=tz)
    targets = StaffingTargets(
        service_level_target=service_level,
        answer_target_seconds=answer_seconds,
        max_asa_seconds=max_asa_seconds,
        max_abandon_rate=max_abandon_rate,
        max_occupancy=max_occupancy,
    )
    if isinstance(shrink, str) and shrink not in frame.columns:
        # read_forecast keeps only planner columns: a shrinkage column comes from the raw file.
        from planner.io import read_frame

        raw = read_frame(forecast, ("queue", "interval_start", shrink), tz=tz)
        frame = frame.merge(raw, on=["queue", "interval_start"], how="left", validate="1:1")
    options = {
        "targets": targets,
        "model": model,
        "patience_seconds": patience_seconds,
        "shrinkage": shrink,
        "min_agents": min_agents,
    }
    # Staffing is vectorised (microseconds a row): the default stays in this process unless
    # the input is large enough for a pool's start-up to pay off (Erlang A, ~10^5+ rows).
    from planner.parallel import STAFFING_SECONDS_PER_ROW

    n_queues = frame["queue"].nunique()
    per_row = STAFFING_SECONDS_PER_ROW.get(model, STAFFING_SECONDS_PER_ROW["erlang-a"])
    in_process, pool_workers = _per_queue_plan(
        workers, dask, n_queues, per_row * len(frame) / max(n_queues, 1)
    )
    scaled = None
    if in_process:
        result = required_agents(frame, **options)  # type: ignore[arg-type]
    else:  # queue by queue on local processes or a Dask cluster (planner.parallel)
        from planner.parallel import run_per_queue

        with progress_bars() as progress:
            scaled = run_per_queue(
                required_agents,
                frame,
                kwargs=options,
                workers=pool_workers,
                dask_address=dask or None,
                progress=progress,
                description="staffing",
            )
        scaled.raise_for_failures(only_if_all_alike=True)
        result = scaled.frame
    write_frame(result, out)
    calls = result["calls_forecast"].to_numpy()
    answered = calls > 0

    def weighted(column: str) -> str:
        values = result[column].to_numpy()
        if not answered.any() or np.isnan(values[answered]).all():
            return "-"
        return f"{np.average(values[answered], weights=calls[answered]):.1%}"

    peak = result.loc[result["agents_to_schedule"].idxmax()] if len(result) else None
    console.print(f"wrote {len(result):,} intervals ({model}) to {out}")
    if peak is not None:
        console.print(
            f"peak: {int(peak['agents_required'])} agents required, "
            f"{int(peak['agents_to_schedule'])} to schedule ({peak['queue']}, "
            f"{peak['interval_start']})"
        )
    console.print(
        f"calls-weighted service level {weighted('service_level')}, occupancy "
        f"{weighted('occupancy')}, abandonment {weighted('abandon_rate')} "
        f"over {int(answered.sum()):,} intervals with calls"
    )
    if scaled is not None:
        _report_per_queue_run(scaled)


@app.command("schedule")
def schedule_command(
    requirements: Annotated[
        Path,
        typer.Argument(
            help="Requirements CSV/Parquet (queue, interval_start, agents_to_schedule, ...)."
        ),
    ],
    rules: Annotated[
        Path,
        typer.Option(
            "--rules", help="Rules file (TOML or YAML), see planner/data/rules.example.toml."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Folder for roster.csv, activities.csv, coverage.csv, summary.json."
        ),
    ] = Path("schedule"),
    time_limit_seconds: Annotated[
        float, typer.Option(min=1, help="Total solver time limit in seconds.")
    ] = 60.0,
    seed: Annotated[int, typer.Option(help="Solver random seed (same seed, same roster).")] = 0,
    previous_roster: Annotated[
        Path | None,
        typer.Option(
            help="Last week's roster.csv: rest across weeks, weekend rotation, warm start."
        ),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option(
            help="Local time zone of the centre (e.g. Europe/London); shift times are local."
        ),
    ] = None,
    method: Annotated[
        str, typer.Option(help="two_phase (design, then named agents) or single (one model).")
    ] = "two_phase",
) -> None:
    """Build the week's roster of named agents (CP-SAT): roster, breaks, coverage, summary."""
    import pandas as pd

    from planner.errors import InputError
    from planner.io import read_frame
    from planner.scheduling import build_roster, load_rules, write_schedule

    schedule_rules = load_rules(rules)
    frame = read_frame(
        requirements,
        ("queue", "interval_start", "agents_to_schedule"),
        tz=tz,
        optional=("agents_required", "traffic_erlangs", "calls_forecast", "aht_seconds_forecast"),
    )
    if tz is not None:
        frame["interval_start"] = frame["interval_start"].dt.tz_convert(tz)
    previous = None
    if previous_roster is not None:
        try:
            previous = (
                pd.read_parquet(previous_roster)
                if previous_roster.suffix.lower() == ".parquet"
                else pd.read_csv(previous_roster)
            )
        except (OSError, ValueError) as error:
            raise InputError(
                f"{previous_roster}: cannot read the previous roster: {error}"
            ) from None

    def show(event: SolveEvent) -> None:
        console.print(
            f"  {event.phase:<20} {event.seconds:7.1f} s  objective {event.objective:12.2f}  "
            f"bound {event.best_bound:12.2f}  gap {100 * event.gap:6.2f} %"
        )

    console.print(
        f"scheduling {len(schedule_rules.agents)} agents (limit {time_limit_seconds:g} s) ..."
    )
    result = build_roster(
        frame,
        schedule_rules,
        previous_roster=previous,
        time_limit_seconds=time_limit_seconds,
        seed=seed,
        method=method,
        on_solution=show,
    )
    paths = write_schedule(
        out,
        roster=result.roster,
        activities=result.activities,
        coverage=result.coverage,
        summary=result.summary,
    )
    s = result.summary
    console.print(
        f"[bold]{s.status}[/bold] ({s.method}): {s.agents_working} of {s.agents} agents, "
        f"{s.shifts} shifts, "
        f"{s.paid_hours:,.1f} paid h for {s.required_agent_hours:,.1f} required agent-h; "
        f"under {s.under_agent_hours:,.1f} h, over {s.over_agent_hours:,.1f} h; "
        f"cost {s.cost:,.2f}, "
        f"bound {s.best_bound:,.2f}, gap {100 * s.gap:.2f} %, {s.solve_seconds:.1f} s"
    )
    for label, path in paths.items():
        console.print(f"  {label:<12} {path}")


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    database_url: Annotated[
        str | None,
        typer.Option(help="SQLAlchemy URL of the store; default $PLANNER_DATABASE_URL or SQLite."),
    ] = None,
) -> None:
    """Run the HTTP API (FastAPI under uvicorn); other settings come from PLANNER_* variables."""
    import dataclasses

    import uvicorn

    from api.config import Settings
    from api.main import create_app

    settings = Settings.from_env()
    if database_url is not None:
        settings = dataclasses.replace(settings, database_url=database_url)
    from planner.storage.repository import create_storage_engine

    # a bad URL or a missing driver is one clear line here, not a failed server start-up
    create_storage_engine(settings.database_url, schema=settings.database_schema).dispose()
    console.print(f"planner API on http://{host}:{port} (store: {settings.database_url})")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


# --- Issue 6: evaluate, scenario, accuracy, kpi ---------------------------------------------

_SHORT_LABELS = {
    "calls_forecast": "calls",
    "calls_offered": "calls",
    "calls_actual": "actual",
    "scheduled_hours": "sched h",
    "service_level": "SL",
    "service_level_lower": "SL low",
    "service_level_upper": "SL high",
    "service_level_p10": "SL p10",
    "service_level_p90": "SL p90",
    "service_level_planned": "SL plan",
    "service_level_achieved": "SL got",
    "asa_seconds": "ASA s",
    "abandon_rate": "aband",
    "occupancy": "occ",
    "intervals_missing_target": "missed",
    "intervals_below_target": "below",
    "intervals": "intervals",
    "aht_seconds": "AHT s",
    "calls_per_agent_hour": "calls/h",
    "cost_per_call": "cost/call",
    "week_start": "week",
    "volume_effect": "volume",
    "aht_effect": "AHT",
    "staffing_effect": "staffing",
    "aht_wape": "AHT wape",
    "required_hours": "req h",
    "cost": "cost",
    "scenario": "scenario",
}


def _print_frame(title: str, frame: pd.DataFrame, columns: dict[str, str]) -> None:
    """Print selected columns of a small frame as a rich table (``columns``: name -> format;
    an empty format is a key column: text, dates without their midnight)."""
    import math

    from rich.table import Table

    table = Table(title=title)
    for name, spec in columns.items():
        table.add_column(_SHORT_LABELS.get(name, name), justify="left" if spec == "" else "right")
    for row in frame.itertuples(index=False):
        cells = []
        for name, spec in columns.items():
            value = getattr(row, name)
            if spec == "":
                if hasattr(value, "strftime") and getattr(value, "tzinfo", None) is None:
                    cells.append(value.strftime("%Y-%m-%d"))
                elif hasattr(value, "tzinfo"):
                    cells.append(_short_time(value))
                else:
                    cells.append(str(value))
            elif isinstance(value, float) and math.isnan(value):
                cells.append("-")
            else:
                cells.append(format(value, spec))
        table.add_row(*cells)
    Console().print(table)


def _write_outputs(out: Path, frames: dict[str, tuple[pd.DataFrame, str]]) -> None:
    """Write each non-empty frame into ``out`` and list the files (empty ones are named)."""
    from planner.io import write_frame

    out.mkdir(parents=True, exist_ok=True)
    for label, (frame, name) in frames.items():
        if len(frame) == 0:
            console.print(f"  {label:<22} none (no rows), not written")
        else:
            console.print(f"  {label:<22} {write_frame(frame, out / name)}")


def _has_column(path: Path, name: str) -> bool:
    """Whether a CSV header or a Parquet schema has the column ``name`` (case-insensitive)."""
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        try:
            return name in {field.lower() for field in pq.read_schema(path).names}
        except (OSError, ValueError):
            return False
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            header = handle.readline()
    except OSError:
        return False
    for separator in ",;\t|":
        header = header.replace(separator, ",")
    return name in {cell.strip().strip('"').lower() for cell in header.split(",")}


def _read_plan_agents(path: Path, tz: str | None) -> pd.DataFrame:
    """A roster's coverage (agents_scheduled) or a requirements file (agents_to_schedule)."""
    from planner.errors import InputError
    from planner.io import read_frame

    frame = read_frame(
        path,
        ("queue", "interval_start"),
        tz=tz,
        optional=("agents_scheduled", "agents_to_schedule"),
    )
    if "agents_scheduled" not in frame.columns:
        if "agents_to_schedule" not in frame.columns:
            raise InputError(
                f"{path}: needs a column agents_scheduled (a roster's coverage) or "
                "agents_to_schedule (a requirements file); got neither"
            )
        frame = frame.rename(columns={"agents_to_schedule": "agents_scheduled"})
    return frame.loc[:, ["queue", "interval_start", "agents_scheduled"]]


ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model", help="erlang-a or erlang-c (default: Erlang A when --patience-seconds is given)."
    ),
]
PatienceOption = Annotated[
    float | None,
    typer.Option("--patience-seconds", min=0.001, help="Mean caller patience (Erlang A)."),
]
QueuePatienceOption = Annotated[
    str | None,
    typer.Option(
        "--patience-seconds",
        help="Mean caller patience (Erlang A), s: one number for every queue, or one per queue "
        "as QUEUE=SECONDS,... (e.g. sales=60,support=180).",
    ),
]


def _parse_patience(text: str | None) -> float | dict[str, float] | None:
    """``--patience-seconds``: ``"180"`` -> 180.0, ``"sales=60,support=180"`` -> a mapping.

    Checked by :func:`planner._params.check_patience` (numbers > 0, finite).
    """
    from planner._params import check_patience
    from planner.errors import InputError

    if text is None:
        return None
    expected = "expected seconds > 0, or QUEUE=SECONDS,... (e.g. sales=60,support=180)"
    if "=" not in text:
        try:
            number = float(text)
        except ValueError:
            raise InputError(f"--patience-seconds: got {text!r}; {expected}") from None
        return check_patience(number, name="--patience-seconds")
    mapping: dict[str, float] = {}
    for item in text.split(","):
        queue, _, seconds = item.partition("=")
        try:
            mapping[queue.strip()] = float(seconds)
            if not queue.strip():
                raise ValueError(queue)
        except ValueError:
            raise InputError(
                f"--patience-seconds: got {item.strip()!r} in {text!r}; {expected}"
            ) from None
    return check_patience(mapping, name="--patience-seconds")


AnswerOption = Annotated[
    float,
    typer.Option(
        "--answer-seconds", min=0.001, help="Answer target of the service level (the 20 in 80/20)."
    ),
]
ServiceLevelOption = Annotated[
    float,
    typer.Option("--service-level", min=0, max=1, help="Service-level target, a fraction (0.8)."),
]


@app.command("evaluate")
def evaluate_command(
    roster: Annotated[
        Path,
        typer.Argument(
            help="Coverage CSV/Parquet (queue, interval_start, agents_scheduled) or a "
            "requirements file (agents_to_schedule)."
        ),
    ],
    forecast: Annotated[
        Path, typer.Argument(help="Forecast CSV/Parquet (calls_forecast, aht_seconds_forecast).")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the evaluation CSVs.")
    ] = Path("evaluation"),
    shrinkage: Annotated[
        float, typer.Option(min=0, max=0.999, help="Fraction of heads not on the phones.")
    ] = 0.0,
    model: ModelOption = None,
    patience_seconds: QueuePatienceOption = None,
    answer_seconds: AnswerOption = 20.0,
    service_level: ServiceLevelOption = 0.8,
    max_abandon: Annotated[
        float | None,
        typer.Option("--max-abandon", min=0, max=1, help="Abandonment ceiling, a fraction."),
    ] = None,
    simulate: Annotated[
        bool, typer.Option("--simulate", help="Also run the discrete-event simulation.")
    ] = False,
    replications: Annotated[int, typer.Option(min=1, help="Simulation replications.")] = 10,
    seed: Annotated[int, typer.Option(min=0, help="Simulation seed.")] = 0,
    handle_time: Annotated[
        str, typer.Option(help="Simulated handle times: exponential or lognormal.")
    ] = "exponential",
    aht_cv: Annotated[
        float, typer.Option(help="Coefficient of variation of lognormal handle times.")
    ] = 1.0,
    tz: TzOption = None,
) -> None:
    """Predict SL, ASA, abandonment and occupancy of a roster per interval (and simulate it)."""
    from planner.evaluate import evaluate_plan
    from planner.io import read_forecast

    patience = _parse_patience(patience_seconds)
    coverage = _read_plan_agents(roster, tz)
    frame = read_forecast(forecast, tz=tz)
    evaluation = evaluate_plan(
        frame,
        coverage,
        shrinkage=shrinkage,
        model=model,
        patience_seconds=patience,
        answer_target_seconds=answer_seconds,
        service_level_target=service_level,
        max_abandon_rate=max_abandon,
        name=str(forecast),
    )
    outputs = {
        "intervals": (evaluation.intervals, "evaluation_intervals.csv"),
        "daily": (evaluation.daily, "evaluation_daily.csv"),
        "weekly": (evaluation.weekly, "evaluation_weekly.csv"),
        "missing target": (evaluation.missing_target, "intervals_missing_target.csv"),
    }
    _print_frame(
        f"evaluation ({evaluation.model.replace('_', ' ')}), weekly",
        evaluation.weekly,
        {
            "queue": "",
            "week_start": "",
            "calls_forecast": ",.0f",
            "scheduled_hours": ",.1f",
            "service_level": ".3f",
            "asa_seconds": ".1f",
            "abandon_rate": ".3f",
            "occupancy": ".3f",
            "intervals_missing_target": ",d",
        },
    )
    if simulate:
        from planner.simulate import simulate_plan

        with progress_bars() as progress:
            result = simulate_plan(
                frame,
                coverage,
                shrinkage=shrinkage,
                handle_time=handle_time,  # type: ignore[arg-type]
                aht_cv=aht_cv,
                patience_seconds=patience,
                answer_target_seconds=answer_seconds,
                replications=replications,
                seed=seed,
                progress=progress,
            )
        outputs["simulation intervals"] = (result.intervals, "simulation_intervals.csv")
        outputs["simulation daily"] = (result.daily, "simulation_daily.csv")
        outputs["simulation weekly"] = (result.weekly, "simulation_weekly.csv")
        _print_frame(
            f"simulation, {replications} replications (95 % CI), weekly",
            result.weekly,
            {
                "queue": "",
                "week_start": "",
                "calls_offered": ",.0f",
                "service_level": ".3f",
                "service_level_lower": ".3f",
                "service_level_upper": ".3f",
                "asa_seconds": ".1f",
                "abandon_rate": ".3f",
            },
        )
    _write_outputs(out, outputs)


@app.command("scenario")
def scenario_command(
    forecast: Annotated[
        Path, typer.Argument(help="Forecast CSV/Parquet (calls_forecast, aht_seconds_forecast).")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the comparison CSVs.")
    ] = Path("scenarios"),
    roster: Annotated[
        Path | None,
        typer.Option(
            "--roster",
            help="Current coverage (agents_scheduled) or requirements file; default: the "
            "baseline's staffing.",
        ),
    ] = None,
    scenarios_file: Annotated[
        Path | None,
        typer.Option(
            "--scenarios",
            help="YAML/JSON list of scenarios (name, volume_factor, aht_add_seconds, ...).",
        ),
    ] = None,
    everyday: Annotated[
        bool,
        typer.Option(
            "--everyday/--no-everyday",
            help="Add the ready-made questions: volume +10 %, lose 5 agents, AHT +20 s.",
        ),
    ] = True,
    headcount: Annotated[
        int | None, typer.Option(min=1, help="Agents in the workforce (for 'lose N agents').")
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="Schedule rules: re-staffed scenarios are rostered."),
    ] = None,
    time_limit_seconds: Annotated[
        float, typer.Option(min=1, help="Solver time limit per roster, seconds.")
    ] = 20.0,
    shrinkage: Annotated[
        float, typer.Option(min=0, max=0.999, help="Fraction of heads not on the phones.")
    ] = 0.0,
    model: ModelOption = None,
    patience_seconds: PatienceOption = None,
    answer_seconds: AnswerOption = 20.0,
    service_level: ServiceLevelOption = 0.8,
    max_abandon: Annotated[
        float | None,
        typer.Option("--max-abandon", min=0, max=1, help="Abandonment ceiling, a fraction."),
    ] = None,
    cost_per_hour: Annotated[
        float | None,
        typer.Option("--cost-per-hour", min=0.0001, help="Cost of one scheduled agent-hour."),
    ] = None,
    tz: TzOption = None,
) -> None:
    """What-if scenarios compared side by side: hours, cost, SL / ASA / abandonment."""
    import json

    import yaml

    from planner.errors import InputError
    from planner.io import read_forecast
    from planner.scenarios import everyday_scenarios, run_scenarios, scenario_from_mapping

    frame = read_forecast(forecast, tz=tz)
    current = _read_plan_agents(roster, tz) if roster is not None else None
    chosen = everyday_scenarios(include_agents_lost=headcount is not None or rules is not None)
    chosen = chosen if everyday else []
    if scenarios_file is not None:
        try:
            text = scenarios_file.read_text()
            data = (
                json.loads(text)
                if scenarios_file.suffix.lower() == ".json"
                else yaml.safe_load(text)
            )
        except (OSError, ValueError, yaml.YAMLError) as error:
            raise InputError(f"{scenarios_file}: cannot read the scenarios: {error}") from None
        if isinstance(data, dict):
            data = data.get("scenarios")
        if not isinstance(data, list):
            raise InputError(
                f"{scenarios_file}: expected a list of scenarios (or scenarios: [...]), got "
                f"{type(data).__name__}"
            )
        chosen += [scenario_from_mapping(item, source=str(scenarios_file)) for item in data]
    schedule_rules = None
    if rules is not None:
        from planner.scheduling import load_rules

        schedule_rules = load_rules(rules)
    with progress_bars() as progress:
        result = run_scenarios(
            frame,
            chosen,
            current_agents=current,
            shrinkage=shrinkage,
            service_level_target=service_level,
            answer_target_seconds=answer_seconds,
            max_abandon_rate=max_abandon,
            patience_seconds=patience_seconds,
            model=model,
            cost_per_agent_hour=cost_per_hour,
            headcount=headcount,
            rules=schedule_rules,
            schedule_time_limit_seconds=time_limit_seconds,
            progress=progress,
        )
    shown = {"scenario": "", "queue": "", "required_hours": ",.0f", "scheduled_hours": ",.0f"}
    if result.summary["queue"].nunique() == 1:
        del shown["queue"]
    if result.summary["cost"].notna().any():
        shown["cost"] = ",.0f"
    shown.update(
        {
            "service_level": ".3f",
            "asa_seconds": ".1f",
            "abandon_rate": ".3f",
            "intervals_missing_target": ",d",
        }
    )
    _print_frame("scenarios side by side", result.summary, shown)
    _print_notes(result.notes)
    _write_outputs(
        out,
        {
            "summary": (result.summary, "scenarios_summary.csv"),
            "daily": (result.daily, "scenarios_daily.csv"),
            "weekly": (result.weekly, "scenarios_weekly.csv"),
        },
    )


@app.command("kpi")
def kpi_command(
    history: Annotated[Path, typer.Argument(help="Interval history, CSV or Parquet.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the KPI CSVs.")] = Path(
        "kpi"
    ),
    service_level: ServiceLevelOption = 0.8,
    max_abandon: Annotated[
        float | None,
        typer.Option("--max-abandon", min=0, max=1, help="Abandonment ceiling, a fraction."),
    ] = None,
    cost_per_hour: Annotated[
        float | None,
        typer.Option("--cost-per-hour", min=0.0001, help="Cost of one staffed agent-hour."),
    ] = None,
    tz: TzOption = None,
) -> None:
    """KPIs the centre achieved, per interval, day, week and queue, with their spread.

    ASA needs a per-interval ``asa_seconds`` column (mean wait of answered calls) in the file;
    without it the report says ASA cannot be computed.
    """
    from planner.io import read_frame, read_history
    from planner.kpi import kpi_report

    frame = read_history(history, tz=tz)
    if _has_column(history, "asa_seconds"):
        waits = read_frame(history, ("queue", "interval_start"), tz=tz, optional=("asa_seconds",))
        frame = frame.merge(waits, on=["queue", "interval_start"], how="left")
    report = kpi_report(
        frame,
        service_level_target=service_level,
        max_abandon_rate=max_abandon,
        cost_per_agent_hour=cost_per_hour,
        source=str(history),
    )
    outputs = {
        "intervals": (report.intervals, "kpi_intervals.csv"),
        "daily": (report.daily, "kpi_daily.csv"),
        "weekly": (report.weekly, "kpi_weekly.csv"),
        "totals": (report.totals, "kpi_totals.csv"),
        "below target": (report.below_target, "kpi_below_target.csv"),
    }
    _print_frame(
        "KPIs achieved (rates weighted by calls; p10/p90 over intervals)",
        report.totals,
        {
            "queue": "",
            "calls_offered": ",.0f",
            "service_level": ".3f",
            "service_level_p10": ".3f",
            "service_level_p90": ".3f",
            "abandon_rate": ".3f",
            "aht_seconds": ".0f",
            "occupancy": ".3f",
            "intervals_below_target": ",d",
        },
    )
    _print_notes(report.notes)
    _write_outputs(out, outputs)


@app.command("accuracy")
def accuracy_command(
    forecast: Annotated[
        str, typer.Argument(help="Forecast CSV/Parquet, or a saved forecast version id.")
    ],
    actuals: Annotated[Path, typer.Argument(help="Actual interval history, CSV or Parquet.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the accuracy CSVs.")] = Path(
        "accuracy"
    ),
    models_dir: Annotated[
        Path, typer.Option("--models-dir", help="Where forecast versions are saved.")
    ] = Path("models"),
    plan: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            help="The plan's coverage or requirements file: planned vs achieved and the SL miss.",
        ),
    ] = None,
    shrinkage: Annotated[
        float, typer.Option(min=0, max=0.999, help="Shrinkage of the plan's heads.")
    ] = 0.0,
    model: ModelOption = None,
    patience_seconds: QueuePatienceOption = None,
    answer_seconds: AnswerOption = 20.0,
    tz: TzOption = None,
) -> None:
    """Forecast against actual: WAPE, bias, MASE; planned against achieved; the SL miss in parts."""
    from planner.accuracy import forecast_accuracy, load_forecast
    from planner.io import read_history

    patience = _parse_patience(patience_seconds)
    forecast_frame = load_forecast(forecast, str(models_dir))
    history = read_history(actuals, tz=tz)
    agents = _read_plan_agents(plan, tz) if plan is not None else None
    report = forecast_accuracy(
        forecast_frame,
        history,
        agents=agents,
        shrinkage=shrinkage,
        model=model,
        patience_seconds=patience,
        answer_target_seconds=answer_seconds,
        source=str(actuals),
    )
    outputs = {
        "intervals": (report.intervals, "accuracy_intervals.csv"),
        "scores": (report.scores, "accuracy_scores.csv"),
        "daily": (report.daily, "accuracy_daily.csv"),
        "weekly": (report.weekly, "accuracy_weekly.csv"),
    }
    _print_frame(
        "forecast accuracy (bias > 0: over-forecast)",
        report.scores,
        {
            "queue": "",
            "level": "",
            "calls_forecast": ",.0f",
            "calls_actual": ",.0f",
            "wape": ".3f",
            "bias": "+.3f",
            "mase": ".2f",
            "aht_wape": ".3f",
        },
    )
    if report.planned_vs_achieved is not None:
        outputs["planned vs achieved"] = (report.planned_vs_achieved, "planned_vs_achieved.csv")
        _print_frame(
            "service level: planned, achieved, and the miss in parts",
            report.planned_vs_achieved,
            {
                "queue": "",
                "day": "",
                "service_level_planned": ".3f",
                "service_level_achieved": ".3f",
                "volume_effect": "+.3f",
                "aht_effect": "+.3f",
                "staffing_effect": "+.3f",
                "residual": "+.3f",
            },
        )
    _print_notes(report.notes)
    _write_outputs(out, outputs)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app, turning planner errors into exit status 2."""
    try:
        app(args=argv, standalone_mode=False)
    except PlannerError as error:
        print(f"planner: error: {error}", file=sys.stderr)
        sys.exit(2)
    except click.exceptions.Abort:
        print("planner: aborted", file=sys.stderr)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)


if __name__ == "__main__":
    main()
