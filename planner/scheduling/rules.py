"""The rules file: shift templates, breaks, weekly rules, costs, agents, as validated dataclasses.

A planner writes the rules as TOML or YAML (see ``planner/data/rules.example.toml``, which documents
every key). :func:`load_rules` reads a file, :func:`parse_rules` a mapping; both return
:class:`ScheduleRules` or raise :class:`~planner.errors.ConfigError` naming the key, the value and
what was expected, e.g. ``rules.toml: shift_templates[0].earliest_start must be a clock time
"HH:MM", got "7am"``.

Clock times are local times of the requirement frame's timezone, in minutes after midnight.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from planner.errors import ConfigError

__all__ = [
    "WEEKDAYS",
    "AgentRules",
    "BreakRule",
    "CostRules",
    "ScheduleRules",
    "ShiftTemplate",
    "WeeklyRules",
    "load_rules",
    "parse_rules",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday keys used in the rules file, Monday first (index = ``Timestamp.weekday()``)."""

ClockWindow = tuple[int, int]
"""(start, end) in minutes after local midnight; ``end`` > 1440 for a window past midnight."""


@dataclass(frozen=True)
class BreakRule:
    """One break or lunch inside a shift.

    The break starts between ``earliest_after_start_minutes`` and ``latest_after_start_minutes``
    after the shift starts (on the interval grid), lasts ``minutes``, and starts at least
    ``min_gap_minutes`` after the previous break of the same shift ended (breaks are taken in the
    order listed). Unpaid breaks are not paid time.
    """

    name: str
    minutes: int
    paid: bool
    earliest_after_start_minutes: int
    latest_after_start_minutes: int
    min_gap_minutes: int = 0


@dataclass(frozen=True)
class ShiftTemplate:
    """A family of shifts: every start from ``earliest_start_minutes`` to ``latest_start_minutes``
    in steps of ``start_step_minutes`` (local clock), each of the ``lengths_minutes`` (span from
    start to end, breaks included). A start plus length past 1440 crosses midnight.
    ``weekdays`` are the weekday indices (Monday 0) on which the template may start.
    """

    name: str
    earliest_start_minutes: int
    latest_start_minutes: int
    start_step_minutes: int
    lengths_minutes: tuple[int, ...]
    breaks: tuple[BreakRule, ...] = ()
    weekdays: tuple[int, ...] = tuple(range(7))

    def unpaid_minutes(self) -> int:
        """Minutes of unpaid breaks in one shift."""
        return sum(b.minutes for b in self.breaks if not b.paid)


@dataclass(frozen=True)
class CostRules:
    """Objective weights (money units).

    ``paid_hour`` per paid hour; ``overtime_hour`` per paid hour above an agent's
    ``contract_hours``; ``under_coverage_hour`` per missing agent-hour (linear part);
    ``late_call`` per call answered later than the answer target because agents are missing (the
    service-level-aware, convex part; needs ``traffic_erlangs`` in the requirements);
    ``over_coverage_hour`` per surplus agent-hour; ``start_time_change_hour`` per hour of spread
    of an agent's start times across the week (soft stable start times).
    """

    paid_hour: float = 1.0
    overtime_hour: float = 1.5
    under_coverage_hour: float = 1.0
    late_call: float = 0.5
    over_coverage_hour: float = 0.0
    start_time_change_hour: float = 0.05


@dataclass(frozen=True)
class WeeklyRules:
    """Rules on each agent's week (hard unless said otherwise).

    ``min_rest_hours`` between the end of one shift and the start of the next;
    ``min_consecutive_days_off``: at least one block of that many consecutive days off in the
    week (0 = no rule); ``start_time_tolerance_minutes``: an agent's start times across the week
    differ by at most this much (None = no hard rule; the spread is still costed by
    ``CostRules.start_time_change_hour``); ``alternate_weekends_off``: an agent who worked on
    Saturday or Sunday in the previous roster has this weekend off (needs ``previous_roster``);
    ``max_on_break_share``: at most this fraction of the agents on shift in an interval are on a
    break or lunch (stagger), rounded up, at least one.
    """

    min_rest_hours: float = 11.0
    min_consecutive_days_off: int = 0
    start_time_tolerance_minutes: int | None = None
    alternate_weekends_off: bool = False
    max_on_break_share: float = 1.0


@dataclass(frozen=True)
class AgentRules:
    """One named agent: contract and availability.

    ``min_hours``/``max_hours`` bound the paid hours of the week (hard); hours above
    ``contract_hours`` are overtime. ``min_days``/``max_days`` bound the days worked.
    ``templates`` are the shift templates the agent may work (empty = all).
    ``availability`` maps a weekday index to the local clock window the shift must lie within;
    a weekday missing from the map is unavailable. ``days_off`` are requested dates off (hard).
    ``queues`` are the queues the agent can serve (recorded; the first version schedules
    against the sum over queues and does not use them).
    """

    agent_id: str
    min_hours: float
    max_hours: float
    contract_hours: float
    min_days: int
    max_days: int
    templates: tuple[str, ...] = ()
    availability: Mapping[int, ClockWindow] = field(
        default_factory=lambda: {d: (0, 2880) for d in range(7)}
    )
    days_off: tuple[pd.Timestamp, ...] = ()
    queues: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScheduleRules:
    """Everything the scheduler needs besides the requirements.

    ``hard_coverage``: every interval must have at least ``agents_to_schedule`` heads on the
    phones (minimum-resources mode); otherwise under-coverage is allowed at its cost.
    ``answer_target_seconds`` is the answer target used by the service-level-aware penalty;
    ``min_interval_service_level`` (a share, 0 for none) is the service level every open interval
    should keep: each head missing below it costs
    :data:`~planner.scheduling.penalties.BELOW_FLOOR_COST` more (with the service-level-aware
    penalty only). ``min_interval_service_level_hard``: the floor is a hard rule instead: every
    interval must have at least the heads that keep its Erlang C service level at the floor (see
    :func:`~planner.scheduling.penalties.floor_heads`); needs ``min_interval_service_level`` > 0.
    """

    shift_templates: tuple[ShiftTemplate, ...]
    agents: tuple[AgentRules, ...]
    costs: CostRules = CostRules()
    weekly: WeeklyRules = WeeklyRules()
    opening_hours: Mapping[int, ClockWindow] | None = None
    answer_target_seconds: float = 20.0
    hard_coverage: bool = False
    min_interval_service_level: float = 0.0
    min_interval_service_level_hard: bool = False

    def template(self, name: str) -> ShiftTemplate:
        """The shift template called ``name``."""
        for t in self.shift_templates:
            if t.name == name:
                return t
        raise ConfigError(f"rules: no shift template named {name!r}")


# --------------------------------------------------------------------------------------------
# parsing


class _Reader:
    """Reads typed values from one table, naming ``where.key`` in every error."""

    def __init__(self, table: Any, where: str, source: str) -> None:
        if not isinstance(table, Mapping):
            raise ConfigError(f"{source}: {where} must be a table, got {table!r}")
        self.table = table
        self.where = where
        self.source = source
        self.used: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, value: Any, expected: str) -> ConfigError:
        return ConfigError(f"{self.source}: {self._name(key)} must be {expected}, got {value!r}")

    def has(self, key: str) -> bool:
        return key in self.table

    def raw(self, key: str, default: Any = None, *, required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.table:
            if required:
                raise ConfigError(f"{self.source}: {self._name(key)} is required and missing")
            return default
        return self.table[key]

    def number(
        self,
        key: str,
        default: float | None = None,
        *,
        minimum: float | None = 0.0,
        maximum: float | None = None,
        required: bool = False,
    ) -> float:
        value = self.raw(key, default, required=required)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, value, "a number")
        if minimum is not None and value < minimum:
            raise self.fail(key, value, f">= {minimum:g}")
        if maximum is not None and value > maximum:
            raise self.fail(key, value, f"<= {maximum:g}")
        return float(value)

    def integer(
        self,
        key: str,
        default: int | None = None,
        *,
        minimum: int | None = 0,
        maximum: int | None = None,
        required: bool = False,
    ) -> int:
        value = self.raw(key, default, required=required)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, value, "a whole number")
        if minimum is not None and value < minimum:
            raise self.fail(key, value, f">= {minimum}")
        if maximum is not None and value > maximum:
            raise self.fail(key, value, f"<= {maximum}")
        return int(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, value, "true or false")
        return value

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str:
        value = self.raw(key, default, required=required)
        if not isinstance(value, str) or not value:
            raise self.fail(key, value, "a non-empty string")
        return value

    def clock(self, key: str, *, required: bool = True, default: str | None = None) -> int:
        return _parse_clock(self.raw(key, default, required=required), self, key)

    def list_of(self, key: str, default: Sequence[Any] = ()) -> list[Any]:
        value = self.raw(key, list(default))
        if not isinstance(value, list):
            raise self.fail(key, value, "a list")
        return value

    def check_unknown(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise ConfigError(
                f"{self.source}: {self._name(unknown[0])} is not a known key "
                f"(known keys here: {', '.join(sorted(self.used))})"
            )


def _parse_clock(
    value: Any, reader: _Reader, key: str, *, allow_after_midnight: bool = True
) -> int:
    """'HH:MM' -> minutes after midnight; hours up to 48 allowed for windows past midnight."""
    if isinstance(value, str) and value.count(":") == 1:
        hh, mm = value.split(":")
        if hh.isdigit() and mm.isdigit() and len(mm) == 2:
            minutes = int(hh) * 60 + int(mm)
            limit = 2880 if allow_after_midnight else 1440
            if int(mm) < 60 and minutes <= limit:
                return minutes
    raise reader.fail(key, value, 'a clock time "HH:MM"')


def _parse_window(value: Any, reader: _Reader, key: str) -> ClockWindow:
    if not (isinstance(value, list) and len(value) == 2):
        raise reader.fail(key, value, 'a pair of clock times ["HH:MM", "HH:MM"]')
    start = _parse_clock(value[0], reader, key)
    end = _parse_clock(value[1], reader, key)
    if end <= start:
        end += 1440
    if start >= 1440 or end - start > 1440:
        raise reader.fail(key, value, "a window starting before midnight and at most 24 h long")
    return (start, end)


def _parse_weekday_windows(value: Any, reader: _Reader, key: str) -> dict[int, ClockWindow]:
    sub = _Reader(value, reader._name(key), reader.source)
    windows: dict[int, ClockWindow] = {}
    for name in list(sub.table):
        if name not in WEEKDAYS:
            raise sub.fail(name, name, f"a weekday key, one of {', '.join(WEEKDAYS)}")
        windows[WEEKDAYS.index(name)] = _parse_window(sub.raw(name), sub, name)
    return windows


def _parse_weekday_list(values: list[Any], reader: _Reader, key: str) -> tuple[int, ...]:
    days = []
    for v in values:
        if v not in WEEKDAYS:
            raise reader.fail(key, values, f"a list of weekday keys ({', '.join(WEEKDAYS)})")
        days.append(WEEKDAYS.index(v))
    return tuple(sorted(set(days)))


def _parse_break(table: Any, where: str, source: str, template_minutes: int) -> BreakRule:
    r = _Reader(table, where, source)
    rule = BreakRule(
        name=r.text("name"),
        minutes=r.integer("minutes", required=True, minimum=1),
        paid=r.boolean("paid", True),
        earliest_after_start_minutes=r.integer("earliest_after_start_minutes", required=True),
        latest_after_start_minutes=r.integer("latest_after_start_minutes", required=True),
        min_gap_minutes=r.integer("min_gap_minutes", 0),
    )
    r.check_unknown()
    if rule.latest_after_start_minutes < rule.earliest_after_start_minutes:
        raise r.fail(
            "latest_after_start_minutes",
            rule.latest_after_start_minutes,
            f">= earliest_after_start_minutes ({rule.earliest_after_start_minutes})",
        )
    if rule.latest_after_start_minutes + rule.minutes > template_minutes:
        raise r.fail(
            "latest_after_start_minutes",
            rule.latest_after_start_minutes,
            f"small enough for the break to end inside the shortest shift ({template_minutes} min)",
        )
    return rule


def _parse_template(table: Any, where: str, source: str) -> ShiftTemplate:
    r = _Reader(table, where, source)
    name = r.text("name", required=True)
    earliest = r.clock("earliest_start")
    latest = r.clock("latest_start")
    if earliest >= 1440:
        raise r.fail("earliest_start", r.table["earliest_start"], "before 24:00")
    if latest < earliest:
        latest += 1440
    if latest - earliest >= 1440:
        raise r.fail("latest_start", r.table["latest_start"], "less than 24 h after earliest_start")
    step = r.integer("start_step_minutes", 30, minimum=1)
    lengths = r.list_of("lengths_minutes")
    if not lengths or not all(
        isinstance(x, int) and not isinstance(x, bool) and 0 < x <= 1440 for x in lengths
    ):
        raise r.fail("lengths_minutes", lengths, "a non-empty list of whole minutes in 1..1440")
    breaks_raw = r.list_of("breaks")
    breaks = tuple(
        _parse_break(b, f"{where}.breaks[{i}]", source, min(lengths))
        for i, b in enumerate(breaks_raw)
    )
    weekdays = _parse_weekday_list(r.list_of("days", WEEKDAYS), r, "days")
    r.check_unknown()
    unpaid = sum(b.minutes for b in breaks if not b.paid)
    if unpaid >= min(lengths):
        raise r.fail("lengths_minutes", lengths, f"longer than the unpaid breaks ({unpaid} min)")
    return ShiftTemplate(
        name, earliest, latest, step, tuple(sorted(set(lengths))), breaks, weekdays
    )


_AGENT_KEYS_DEFAULTS = {"min_hours", "max_hours", "contract_hours", "min_days", "max_days"}


def _parse_agent(
    r: _Reader, agent_id: str, template_names: set[str], defaults: Mapping[str, Any]
) -> AgentRules:
    def pick(key: str) -> Any:
        return r.raw(key) if r.has(key) else defaults.get(key)

    min_hours = pick("min_hours")
    max_hours = pick("max_hours")
    min_days = pick("min_days")
    max_days = pick("max_days")
    for key, value, hi in (
        ("min_hours", min_hours, 168),
        ("max_hours", max_hours, 168),
        ("min_days", min_days, 7),
        ("max_days", max_days, 7),
    ):
        if value is None:
            raise ConfigError(
                f"{r.source}: {r._name(key)} is required (in the agent or in [agent_defaults])"
            )
        integral = key.endswith("days")
        ok = isinstance(value, int) if integral else isinstance(value, int | float)
        if isinstance(value, bool) or not ok or not 0 <= value <= hi:
            raise r.fail(key, value, f"a {'whole ' if integral else ''}number in 0..{hi}")
    if max_hours < min_hours:
        raise r.fail("max_hours", max_hours, f">= min_hours ({min_hours})")
    if max_days < min_days:
        raise r.fail("max_days", max_days, f">= min_days ({min_days})")
    contract = pick("contract_hours")
    contract = max_hours if contract is None else contract
    if isinstance(contract, bool) or not isinstance(contract, int | float) or contract < 0:
        raise r.fail("contract_hours", contract, "a number >= 0")
    templates = r.list_of("templates", defaults.get("templates", ()))
    for t in templates:
        if t not in template_names:
            raise r.fail(
                "templates", templates, f"names of shift templates ({sorted(template_names)})"
            )
    if r.has("availability"):
        availability = _parse_weekday_windows(r.raw("availability"), r, "availability")
    elif "availability" in defaults:
        availability = dict(defaults["availability"])
    else:
        availability = {d: (0, 2880) for d in range(7)}
    days_off = []
    for v in r.list_of("days_off"):
        try:
            days_off.append(pd.Timestamp(str(v)).normalize())
        except ValueError:
            raise r.fail("days_off", v, 'a list of dates "YYYY-MM-DD"') from None
    queues = r.list_of("queues", defaults.get("queues", ()))
    if not all(isinstance(q, str) for q in queues):
        raise r.fail("queues", queues, "a list of queue names")
    return AgentRules(
        agent_id=agent_id,
        min_hours=float(min_hours),
        max_hours=float(max_hours),
        contract_hours=float(contract),
        min_days=int(min_days),
        max_days=int(max_days),
        templates=tuple(templates),
        availability=availability,
        days_off=tuple(days_off),
        queues=tuple(queues),
    )


def parse_rules(data: Mapping[str, Any], *, source: str = "rules") -> ScheduleRules:
    """Validate a rules mapping (as read from TOML or YAML) into :class:`ScheduleRules`.

    Parameters
    ----------
    data : mapping
        The parsed file; keys as documented in ``planner/data/rules.example.toml``.
    source : str
        Name used in error messages (usually the file name).

    Raises
    ------
    ConfigError
        Naming the key, the value and what was expected.
    """
    top = _Reader(data, "", source)
    templates_raw = top.list_of("shift_templates")
    if not templates_raw:
        raise ConfigError(
            f"{source}: shift_templates is required: at least one [[shift_templates]]"
        )
    templates = tuple(
        _parse_template(t, f"shift_templates[{i}]", source) for i, t in enumerate(templates_raw)
    )
    names = [t.name for t in templates]
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: shift_templates names must be unique, got {names}")

    c = _Reader(top.raw("costs", {}), "costs", source)
    costs = CostRules(
        paid_hour=c.number("paid_hour", 1.0),
        overtime_hour=c.number("overtime_hour", 1.5),
        under_coverage_hour=c.number("under_coverage_hour", 1.0),
        late_call=c.number("late_call", 0.5),
        over_coverage_hour=c.number("over_coverage_hour", 0.0),
        start_time_change_hour=c.number("start_time_change_hour", 0.05),
    )
    c.check_unknown()

    w = _Reader(top.raw("weekly", {}), "weekly", source)
    tolerance = w.raw("start_time_tolerance_minutes")
    if tolerance is not None and (
        isinstance(tolerance, bool) or not isinstance(tolerance, int) or tolerance < 0
    ):
        raise w.fail("start_time_tolerance_minutes", tolerance, "a whole number of minutes >= 0")
    weekly = WeeklyRules(
        min_rest_hours=w.number("min_rest_hours", 11.0, maximum=48),
        min_consecutive_days_off=w.integer("min_consecutive_days_off", 0, maximum=7),
        start_time_tolerance_minutes=tolerance,
        alternate_weekends_off=w.boolean("alternate_weekends_off", False),
        max_on_break_share=w.number("max_on_break_share", 1.0, maximum=1.0),
    )
    w.check_unknown()

    opening = top.raw("opening_hours")
    opening_hours = (
        None if opening is None else _parse_weekday_windows(opening, top, "opening_hours")
    )
    answer_target = top.number("answer_target_seconds", 20.0, minimum=1.0)
    hard_coverage = top.boolean("hard_coverage", False)
    floor = top.number("min_interval_service_level", 0.0, maximum=1.0)
    hard_floor = top.boolean("min_interval_service_level_hard", False)
    if hard_floor and floor <= 0:
        # a hard floor of nothing constrains nothing: almost surely a forgotten floor value
        raise ConfigError(
            f"{source}: min_interval_service_level_hard = true needs min_interval_service_level "
            f"> 0 (the floor to enforce, e.g. 0.7), got {floor:g}"
        )

    d = _Reader(top.raw("agent_defaults", {}), "agent_defaults", source)
    defaults: dict[str, Any] = {}
    for key in ("min_hours", "max_hours", "contract_hours", "min_days", "max_days"):
        if d.has(key):
            defaults[key] = d.raw(key)
    template_names = set(names)
    if d.has("templates"):
        defaults["templates"] = d.list_of("templates")
        for t in defaults["templates"]:
            if t not in template_names:
                raise d.fail(
                    "templates",
                    defaults["templates"],
                    f"names of shift templates ({sorted(template_names)})",
                )
    if d.has("availability"):
        defaults["availability"] = _parse_weekday_windows(d.raw("availability"), d, "availability")
    if d.has("queues"):
        defaults["queues"] = d.list_of("queues")
    d.check_unknown()

    agents: list[AgentRules] = []
    for i, a in enumerate(top.list_of("agents")):
        r = _Reader(a, f"agents[{i}]", source)
        agents.append(_parse_agent(r, r.text("id", required=True), template_names, defaults))
        r.check_unknown()
    for i, g in enumerate(top.list_of("agent_groups")):
        r = _Reader(g, f"agent_groups[{i}]", source)
        count = r.integer("count", required=True, minimum=1)
        prefix = r.text("id_prefix", required=True)
        width = max(3, len(str(count)))
        proto = _parse_agent(r, prefix, template_names, defaults)
        r.check_unknown()
        for k in range(1, count + 1):
            agents.append(AgentRules(**{**proto.__dict__, "agent_id": f"{prefix}{k:0{width}d}"}))
    if not agents:
        raise ConfigError(
            f"{source}: agents is required: at least one [[agents]] or [[agent_groups]]"
        )
    ids = [a.agent_id for a in agents]
    if len(set(ids)) != len(ids):
        dup = next(x for x in ids if ids.count(x) > 1)
        raise ConfigError(f"{source}: agents ids must be unique, got {dup!r} twice")
    top.check_unknown()
    return ScheduleRules(
        shift_templates=templates,
        agents=tuple(agents),
        costs=costs,
        weekly=weekly,
        opening_hours=opening_hours,
        answer_target_seconds=answer_target,
        hard_coverage=hard_coverage,
        min_interval_service_level=floor,
        min_interval_service_level_hard=hard_floor,
    )


def load_rules(path: str | Path) -> ScheduleRules:
    """Read a TOML (``.toml``) or YAML (``.yaml``/``.yml``) rules file.

    Raises
    ------
    ConfigError
        When the file is missing, unreadable, or breaks a rule (the message names the key).
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: rules file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        elif suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        else:
            raise ConfigError(
                f"{path}: rules file must end in .toml, .yaml or .yml, got {suffix!r}"
            )
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except ConfigError:
        raise
    except Exception as error:  # yaml.YAMLError and decoding errors
        raise ConfigError(f"{path}: cannot read rules file: {error}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{path}: rules file must hold a table of keys, got {type(data).__name__}"
        )
    return parse_rules(data, source=path.name)
