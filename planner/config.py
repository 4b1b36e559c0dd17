"""The plan file (``plan.toml`` or ``plan.yaml``) read into validated dataclasses.

One file holds everything ``planner plan`` needs besides the history: the forecast settings, the
service targets, shrinkage, caller patience per queue, the shift rules and agents (the rules part is
read by :func:`planner.scheduling.parse_rules`, inline under ``[schedule.rules]`` or from a
separate file named by ``schedule.rules_file``), the what-if scenarios and the output options.
``planner init`` writes the commented example ``planner/data/plan.example.toml``.

Every error is a :class:`planner.errors.ConfigError` naming the file, the key, the value and what
was expected, e.g. ``plan.toml: targets.service_level_target must be a number in (0, 1], got 80``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.errors import ConfigError, PlannerError

__all__ = [
    "EXAMPLE_PLAN",
    "ForecastSettings",
    "OutputSettings",
    "PlanConfig",
    "QueueSettings",
    "ScheduleSettings",
    "ScenarioSettings",
    "SimulationSettings",
    "TargetSettings",
    "example_plan_text",
    "load_config",
    "parse_config",
]

EXAMPLE_PLAN = "plan.example.toml"
"""File name of the commented example inside ``planner/data``."""

_FORECAST_METHODS = ("auto", "same-slot-last-week", "mean-last-weeks", "topdown", "prophet")
_MODELS = ("erlang-a", "erlang-c")
_FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class ForecastSettings:
    """How the forecast stage runs (see :func:`planner.forecast.forecast_history`)."""

    method: str = "auto"
    candidates: tuple[str, ...] = ("same-slot-last-week", "mean-last-weeks", "topdown")
    auto_origins: int = 3
    country_holidays: str | None = None
    seed: int = 0


@dataclass(frozen=True)
class TargetSettings:
    """Service targets (fractions and seconds) and the queueing model."""

    service_level_target: float | None = 0.8
    answer_target_seconds: float = 20.0
    max_asa_seconds: float | None = None
    max_abandon_rate: float | None = None
    max_occupancy: float | None = None
    model: str = "erlang-a"


@dataclass(frozen=True)
class QueueSettings:
    """Per-queue parameters; ``patience_seconds`` is the mean caller patience (Erlang A)."""

    name: str
    patience_seconds: float | None = None


@dataclass(frozen=True)
class ScheduleSettings:
    """The scheduling stage: rules (None: no roster) and the CP-SAT limits."""

    rules: Any = None  # planner.scheduling.ScheduleRules, imported lazily (OR-Tools)
    time_limit_seconds: float = 60.0
    seed: int = 0
    num_workers: int | None = 2
    method: str = "two_phase"


@dataclass(frozen=True)
class ScenarioSettings:
    """What-if scenarios run after the plan (see :mod:`planner.scenarios`)."""

    everyday: bool = True
    custom: tuple[Any, ...] = ()  # planner.scenarios.Scenario
    cost_per_agent_hour: float | None = None


@dataclass(frozen=True)
class SimulationSettings:
    """The call-by-call simulation of the plan's first week (see :mod:`planner.simulate`).

    ``replications`` independent runs give the confidence intervals; ``seed`` makes them
    reproducible; ``handle_time`` is ``"exponential"`` (the Erlang assumption) or
    ``"lognormal"`` with coefficient of variation ``aht_cv``.
    """

    run: bool = True
    replications: int = 5
    seed: int = 0
    handle_time: str = "exponential"
    aht_cv: float = 1.0


@dataclass(frozen=True)
class OutputSettings:
    """What is written: file format of the frames and whether report.html is made."""

    format: str = "csv"
    report: bool = True


@dataclass(frozen=True)
class PlanConfig:
    """Everything ``planner plan`` needs besides the history.

    ``shrinkage`` is the combined fraction of paid time off the phones, in [0, 1)
    (components multiply: ``1 - (1 - a)(1 - b)...``). ``queues`` lists per-queue settings; a queue
    of the history not listed uses ``default_patience_seconds``.
    """

    forecast: ForecastSettings = field(default_factory=ForecastSettings)
    targets: TargetSettings = field(default_factory=TargetSettings)
    shrinkage: float = 0.0
    min_agents: int = 0
    default_patience_seconds: float | None = None
    queues: tuple[QueueSettings, ...] = ()
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    scenarios: ScenarioSettings = field(default_factory=ScenarioSettings)
    simulation: SimulationSettings = field(default_factory=SimulationSettings)
    output: OutputSettings = field(default_factory=OutputSettings)
    timezone: str | None = None
    source: str = "plan"

    def patience_for(self, queue: str) -> float | None:
        """Mean caller patience of ``queue`` in seconds (None when unknown)."""
        for settings in self.queues:
            if settings.name == queue:
                if settings.patience_seconds is not None:
                    return settings.patience_seconds
                break
        return self.default_patience_seconds

    def patience_by_queue(self, queues: Iterable[str]) -> dict[str, float] | None:
        """Mean caller patience of each of ``queues`` (seconds) under Erlang A, else None.

        A queue without a patience (not listed and no ``staffing.patience_seconds``) is left
        out, so that the stage given the mapping names it in its error.
        """
        if self.targets.model != "erlang-a":
            return None
        known = {str(q): self.patience_for(str(q)) for q in queues}
        return {queue: value for queue, value in known.items() if value is not None}


class _Table:
    """A mapping read key by key; every error names ``source: path.key``."""

    def __init__(self, data: Any, path: str, source: str) -> None:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"{source}: {path or 'the file'} must be a table of keys, got {data!r}"
            )
        self.data = data
        self.path = path
        self.source = source
        self.used: set[str] = set()

    def name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, value: Any, expected: str) -> ConfigError:
        return ConfigError(f"{self.source}: {self.name(key)} must be {expected}, got {value!r}")

    def get(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return self.data.get(key, default)

    def table(self, key: str) -> _Table:
        return _Table(self.get(key), self.name(key), self.source)

    def number(
        self,
        key: str,
        default: float | None,
        *,
        low: float,
        high: float = float("inf"),
        low_open: bool = False,
        high_open: bool = False,
        expected: str,
    ) -> float | None:
        value = self.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, value, expected)
        number = float(value)
        too_low = number <= low if low_open else number < low
        too_high = number >= high if high_open else number > high
        if too_low or too_high or number != number:
            raise self.fail(key, value, expected)
        return number

    def integer(self, key: str, default: int, *, low: int, expected: str) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(key, value, expected)
        return int(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, value, "true or false")
        return value

    def choice(self, key: str, default: str, options: tuple[str, ...]) -> str:
        value = self.get(key, default)
        if not isinstance(value, str) or value.strip().lower() not in options:
            raise self.fail(key, value, f"one of {list(options)}")
        return value.strip().lower()

    def text(self, key: str, default: str | None) -> str | None:
        value = self.get(key, default)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise self.fail(key, value, "a non-empty text")
        return value

    def check_unknown(self, allowed: tuple[str, ...] | None = None) -> None:
        known = set(allowed) if allowed is not None else self.used
        unknown = sorted(set(self.data) - known)
        if unknown:
            raise ConfigError(
                f"{self.source}: unknown key {self.name(unknown[0])!r} (value "
                f"{self.data[unknown[0]]!r}); expected one of {sorted(known)}"
            )


def _shrinkage(table: _Table) -> float:
    """``shrinkage`` as one fraction or a table of named components (combined)."""
    from planner.staffing import combine_shrinkage

    value = table.get("shrinkage", 0.0)
    parts: list[tuple[str, Any]]
    if isinstance(value, Mapping):
        parts = [(f"shrinkage.{name}", part) for name, part in value.items()]
    else:
        parts = [("shrinkage", value)]
    fractions = []
    for key, part in parts:
        if isinstance(part, bool) or not isinstance(part, int | float) or not 0 <= part < 1:
            raise ConfigError(
                f"{table.source}: {table.name(key)} must be a fraction in [0, 1) (0.3 for 30 %), "
                f"got {part!r}"
            )
        fractions.append(float(part))
    combined = float(combine_shrinkage(*fractions)) if fractions else 0.0
    if combined >= 1:
        raise ConfigError(
            f"{table.source}: {table.name('shrinkage')} combines to {combined:.3f}; expected < 1"
        )
    return combined


def _forecast(table: _Table) -> ForecastSettings:
    method = table.choice("method", "auto", _FORECAST_METHODS)
    raw = table.get("candidates", list(ForecastSettings.candidates))
    if not isinstance(raw, list) or not raw:
        raise table.fail("candidates", raw, f"a non-empty list of {list(_FORECAST_METHODS[1:])}")
    for name in raw:
        if name not in _FORECAST_METHODS[1:]:
            raise table.fail("candidates", name, f"one of {list(_FORECAST_METHODS[1:])}")
    settings = ForecastSettings(
        method=method,
        candidates=tuple(raw),
        auto_origins=table.integer("auto_origins", 3, low=1, expected="a whole number >= 1"),
        country_holidays=table.text("country_holidays", None),
        seed=table.integer("seed", 0, low=0, expected="a whole number >= 0"),
    )
    table.check_unknown()
    return settings


def _targets(table: _Table) -> TargetSettings:
    fraction = "a number in (0, 1]"
    settings = TargetSettings(
        service_level_target=table.number(
            "service_level_target", 0.8, low=0, high=1, low_open=True, expected=fraction
        ),
        answer_target_seconds=table.number(  # type: ignore[arg-type]
            "answer_target_seconds",
            20.0,
            low=0,
            low_open=True,
            high_open=True,
            expected="a number of seconds > 0",
        ),
        max_asa_seconds=table.number(
            "max_asa_seconds",
            None,
            low=0,
            low_open=True,
            high_open=True,
            expected="a number of seconds > 0",
        ),
        max_abandon_rate=table.number(
            "max_abandon_rate", None, low=0, high=1, low_open=True, expected=fraction
        ),
        max_occupancy=table.number(
            "max_occupancy", None, low=0, high=1, low_open=True, expected=fraction
        ),
        model=table.choice("model", "erlang-a", _MODELS),
    )
    table.check_unknown()
    if all(
        getattr(settings, key) is None
        for key in ("service_level_target", "max_asa_seconds", "max_abandon_rate", "max_occupancy")
    ):
        raise ConfigError(
            f"{table.source}: {table.path} has no target; expected at least one of "
            "service_level_target, max_asa_seconds, max_abandon_rate, max_occupancy"
        )
    return settings


def _queues(top: _Table) -> tuple[QueueSettings, ...]:
    raw = top.get("queues", [])
    if not isinstance(raw, list):
        raise top.fail("queues", raw, "a list of [[queues]] tables")
    out: list[QueueSettings] = []
    for i, item in enumerate(raw):
        table = _Table(item, f"queues[{i}]", top.source)
        name = table.text("name", None)
        if name is None:
            raise table.fail(
                "name", item.get("name") if isinstance(item, Mapping) else item, "the queue's name"
            )
        if name in {q.name for q in out}:
            raise table.fail("name", name, "a queue named once")
        out.append(
            QueueSettings(
                name=name,
                patience_seconds=table.number(
                    "patience_seconds",
                    None,
                    low=0,
                    low_open=True,
                    high_open=True,
                    expected="a number of seconds > 0",
                ),
            )
        )
        table.check_unknown()
    return tuple(out)


def _schedule(table: _Table, base: Path | None) -> ScheduleSettings:
    from planner.scheduling import load_rules, parse_rules

    inline = table.get("rules")
    rules_file = table.text("rules_file", None)
    if inline is not None and rules_file is not None:
        raise ConfigError(
            f"{table.source}: {table.name('rules')} and {table.name('rules_file')} are both given; "
            "expected one of them"
        )
    rules = None
    if inline is not None:
        if not isinstance(inline, Mapping):
            raise table.fail("rules", inline, "a table of scheduling rules")
        try:
            rules = parse_rules(inline, source=f"{table.source} [{table.name('rules')}]")
        except ConfigError:
            raise
        except PlannerError as error:
            raise ConfigError(str(error)) from None
    elif rules_file is not None:
        path = Path(rules_file)
        if not path.is_absolute() and base is not None:
            path = base / path
        rules = load_rules(path)
    workers = table.get("num_workers", 2)
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise table.fail("num_workers", workers, "a whole number >= 1")
    settings = ScheduleSettings(
        rules=rules,
        time_limit_seconds=table.number(  # type: ignore[arg-type]
            "time_limit_seconds",
            60.0,
            low=0,
            low_open=True,
            high_open=True,
            expected="a number of seconds > 0",
        ),
        seed=table.integer("seed", 0, low=0, expected="a whole number >= 0"),
        num_workers=workers,
        method=table.choice("method", "two_phase", ("two_phase", "single")),
    )
    table.check_unknown()
    return settings


def _scenarios(table: _Table) -> ScenarioSettings:
    from planner.scenarios import scenario_from_mapping

    raw = table.get("custom", [])
    if not isinstance(raw, list):
        raise table.fail("custom", raw, "a list of [[scenarios.custom]] tables")
    custom = []
    for i, item in enumerate(raw):
        try:
            custom.append(
                scenario_from_mapping(item, source=f"{table.source} scenarios.custom[{i}]")
            )
        except PlannerError as error:
            raise ConfigError(str(error)) from None
    settings = ScenarioSettings(
        everyday=table.boolean("everyday", True),
        custom=tuple(custom),
        cost_per_agent_hour=table.number(
            "cost_per_agent_hour",
            None,
            low=0,
            low_open=True,
            high_open=True,
            expected="a money amount > 0",
        ),
    )
    table.check_unknown()
    return settings


def _simulation(table: _Table) -> SimulationSettings:
    settings = SimulationSettings(
        run=table.boolean("run", True),
        replications=table.integer(
            "replications", 5, low=2, expected="a whole number >= 2 (for confidence intervals)"
        ),
        seed=table.integer("seed", 0, low=0, expected="a whole number >= 0"),
        handle_time=table.choice("handle_time", "exponential", ("exponential", "lognormal")),
        aht_cv=float(
            table.number(
                "aht_cv", 1.0, low=0, low_open=True, high=10, expected="a number in (0, 10]"
            )
            or 1.0
        ),
    )
    if settings.handle_time == "exponential" and settings.aht_cv != 1.0:
        raise table.fail(
            "aht_cv",
            settings.aht_cv,
            "1 with handle_time 'exponential' (or handle_time 'lognormal')",
        )
    table.check_unknown()
    return settings


def _output(table: _Table) -> OutputSettings:
    settings = OutputSettings(
        format=table.choice("format", "csv", _FORMATS), report=table.boolean("report", True)
    )
    table.check_unknown()
    return settings


def parse_config(
    data: Mapping[str, Any], *, source: str = "plan", base_dir: Path | None = None
) -> PlanConfig:
    """Validate a plan mapping (as read from TOML or YAML) into a :class:`PlanConfig`.

    Parameters
    ----------
    data
        Keys as documented in ``planner/data/plan.example.toml``.
    source
        The file's name in error messages.
    base_dir
        Folder that a relative ``schedule.rules_file`` is read from.

    Raises
    ------
    ConfigError
        Naming the key, the value and what was expected; unknown keys are rejected.
    """
    top = _Table(data, "", source)
    staffing = top.table("staffing")
    config = PlanConfig(
        forecast=_forecast(top.table("forecast")),
        targets=_targets(top.table("targets")),
        shrinkage=_shrinkage(staffing),
        min_agents=staffing.integer("min_agents", 0, low=0, expected="a whole number >= 0"),
        default_patience_seconds=staffing.number(
            "patience_seconds",
            None,
            low=0,
            low_open=True,
            high_open=True,
            expected="a number of seconds > 0",
        ),
        queues=_queues(top),
        schedule=_schedule(top.table("schedule"), base_dir),
        scenarios=_scenarios(top.table("scenarios")),
        simulation=_simulation(top.table("simulation")),
        output=_output(top.table("output")),
        timezone=top.text("timezone", None),
        source=source,
    )
    staffing.check_unknown()
    if config.timezone is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(config.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise top.fail(
                "timezone", config.timezone, "an IANA time zone like 'Europe/London'"
            ) from None
    top.check_unknown()
    if config.targets.model == "erlang-a":
        missing = [q.name for q in config.queues if q.patience_seconds is None]
        if config.default_patience_seconds is None and (missing or not config.queues):
            where = f"queues {missing}" if missing else "the plan"
            raise ConfigError(
                f"{source}: targets.model 'erlang-a' needs caller patience: {where} has no "
                "patience_seconds; expected staffing.patience_seconds or queues[].patience_seconds "
                "(seconds > 0), or targets.model = 'erlang-c'"
            )
    return config


def load_config(path: str | Path) -> PlanConfig:
    """Read a plan file (``.toml``, ``.yaml`` or ``.yml``) into a :class:`PlanConfig`.

    Raises
    ------
    ConfigError
        The file is missing, unreadable, or a key is wrong (the message names it).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"{path}: plan file not found; expected a .toml or .yaml file (planner init writes one)"
        )
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8")
    try:
        if suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            raise ConfigError(f"{path}: plan file must end in .toml, .yaml or .yml, got {suffix!r}")
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except ConfigError:
        raise
    except Exception as error:  # yaml.YAMLError
        raise ConfigError(f"{path}: cannot read the plan file: {error}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: plan file must hold a table of keys, got {type(data).__name__}")
    return parse_config(data, source=path.name, base_dir=path.parent)


def example_plan_text() -> str:
    """The commented example plan (``planner/data/plan.example.toml``) as text."""
    return (Path(__file__).resolve().parent / "data" / EXAMPLE_PLAN).read_text(encoding="utf-8")
