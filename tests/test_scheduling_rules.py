"""Rules file parsing: valid files, and every error naming its key (planner.scheduling.rules)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from planner.errors import ConfigError
from planner.scheduling.rules import load_rules, parse_rules

EXAMPLE = Path(__file__).resolve().parents[1] / "planner" / "data" / "rules.example.toml"

BASE = {
    "shift_templates": [
        {
            "name": "day",
            "earliest_start": "08:00",
            "latest_start": "10:00",
            "start_step_minutes": 60,
            "lengths_minutes": [480],
            "breaks": [
                {
                    "name": "lunch",
                    "minutes": 30,
                    "paid": False,
                    "earliest_after_start_minutes": 180,
                    "latest_after_start_minutes": 300,
                }
            ],
        }
    ],
    "agents": [{"id": "A1", "min_hours": 15, "max_hours": 40, "min_days": 2, "max_days": 5}],
}


def with_change(path: tuple, value: object) -> dict:
    data = copy.deepcopy(BASE)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


DELETE = object()


def test_minimal_rules_parse_into_dataclasses() -> None:
    rules = parse_rules(BASE)
    template = rules.shift_templates[0]
    assert (template.earliest_start_minutes, template.latest_start_minutes) == (480, 600)
    assert template.unpaid_minutes() == 30
    agent = rules.agents[0]
    assert agent.contract_hours == 40  # defaults to max_hours
    assert agent.availability[6] == (0, 2880)
    assert rules.weekly.min_rest_hours == 11


def test_example_file_documents_every_key_and_loads() -> None:
    rules = load_rules(EXAMPLE)
    assert [t.name for t in rules.shift_templates] == ["full", "part"]
    assert len(rules.agents) == 12  # A001, A002 and the 10 in group P
    assert rules.agents[2].agent_id == "P001"
    assert rules.agents[1].availability == {d: (420, 960) for d in range(5)}
    assert rules.weekly.start_time_tolerance_minutes == 120


def test_yaml_rules_load(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(BASE), encoding="utf-8")
    assert load_rules(path).agents[0].agent_id == "A1"


def test_agent_groups_expand_with_numbered_ids() -> None:
    data = copy.deepcopy(BASE)
    data["agent_groups"] = [
        {
            "count": 3,
            "id_prefix": "G",
            "min_hours": 0,
            "max_hours": 10,
            "min_days": 0,
            "max_days": 2,
        }
    ]
    ids = [a.agent_id for a in parse_rules(data).agents]
    assert ids == ["A1", "G001", "G002", "G003"]


def test_overnight_template_and_window() -> None:
    data = with_change(("shift_templates", 0, "earliest_start"), "22:00")
    data["shift_templates"][0]["latest_start"] = "02:00"
    data["agents"][0]["availability"] = {"mon": ["20:00", "08:00"]}
    rules = parse_rules(data)
    assert rules.shift_templates[0].latest_start_minutes == 26 * 60
    assert rules.agents[0].availability == {0: (1200, 1920)}


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        (("shift_templates",), [], "shift_templates"),
        (("shift_templates", 0, "earliest_start"), "7am", r"shift_templates\[0\]\.earliest_start"),
        (("shift_templates", 0, "lengths_minutes"), [], r"shift_templates\[0\]\.lengths_minutes"),
        (
            ("shift_templates", 0, "start_step_minutes"),
            0,
            r"shift_templates\[0\]\.start_step_minutes",
        ),
        (
            ("shift_templates", 0, "colour"),
            "red",
            r"shift_templates\[0\]\.colour is not a known key",
        ),
        (("shift_templates", 0, "days"), ["monday"], r"shift_templates\[0\]\.days"),
        (("shift_templates", 0, "breaks", 0, "minutes"), -5, r"breaks\[0\]\.minutes"),
        (
            ("shift_templates", 0, "breaks", 0, "latest_after_start_minutes"),
            100,
            r"breaks\[0\]\.latest_after_start_minutes",
        ),
        (("shift_templates", 0, "breaks", 0, "paid"), "no", r"breaks\[0\]\.paid"),
        (("agents", 0, "max_hours"), 10, r"agents\[0\]\.max_hours"),
        (("agents", 0, "min_days"), 8, r"agents\[0\]\.min_days"),
        (("agents", 0, "min_days"), DELETE, r"agents\[0\]\.min_days is required"),
        (("agents", 0, "templates"), ["night"], r"agents\[0\]\.templates"),
        (
            ("agents", 0, "availability"),
            {"funday": ["08:00", "10:00"]},
            r"agents\[0\]\.availability",
        ),
        (("agents", 0, "availability"), {"mon": ["08:00"]}, r"agents\[0\]\.availability\.mon"),
        (("agents", 0, "days_off"), ["not a date"], r"agents\[0\]\.days_off"),
        (("agents",), [], "agents is required"),
        (("costs",), {"paid_hour": -1}, r"costs\.paid_hour"),
        (("weekly",), {"min_rest_hours": "eleven"}, r"weekly\.min_rest_hours"),
        (("weekly",), {"max_on_break_share": 2}, r"weekly\.max_on_break_share"),
        (
            ("weekly",),
            {"start_time_tolerance_minutes": -1},
            r"weekly\.start_time_tolerance_minutes",
        ),
        (("opening_hours",), {"mon": ["09:00", "09:00", "10:00"]}, r"opening_hours\.mon"),
        (("answer_target_seconds",), 0, "answer_target_seconds"),
        (("hard_coverage",), "yes", "hard_coverage"),
        (("shifts",), [], "shifts is not a known key"),
    ],
    ids=[
        "no-templates",
        "bad-clock",
        "empty-lengths",
        "zero-step",
        "unknown-template-key",
        "bad-weekday",
        "negative-break",
        "break-window-reversed",
        "paid-not-bool",
        "max-below-min-hours",
        "days-over-7",
        "missing-min-days",
        "unknown-template-name",
        "bad-availability-day",
        "availability-not-pair",
        "bad-day-off",
        "no-agents",
        "negative-cost",
        "rest-not-number",
        "share-over-1",
        "negative-tolerance",
        "opening-triple",
        "zero-answer-target",
        "hard-coverage-not-bool",
        "unknown-top-key",
    ],
)
def test_rule_errors_name_the_key(path: tuple, value: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        parse_rules(with_change(path, value))


def test_duplicate_agent_ids_are_rejected() -> None:
    data = copy.deepcopy(BASE)
    data["agents"].append(dict(data["agents"][0]))
    with pytest.raises(ConfigError, match="agents ids must be unique, got 'A1'"):
        parse_rules(data)


def test_break_that_cannot_follow_previous_one_is_rejected_on_the_grid() -> None:
    import pandas as pd

    from planner.scheduling.shifts import enumerate_shift_types, make_grid

    data = copy.deepcopy(BASE)
    data["shift_templates"][0]["breaks"].append(
        {
            "name": "tea",
            "minutes": 30,
            "earliest_after_start_minutes": 60,
            "latest_after_start_minutes": 120,
            "min_gap_minutes": 30,
        }
    )
    starts = pd.Series(pd.date_range("2026-11-23", periods=48, freq="30min", tz="UTC"))
    with pytest.raises(ConfigError, match="'tea' cannot start 30 min after 'lunch'"):
        enumerate_shift_types(make_grid(starts, 30), parse_rules(data))


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("rules.toml", "shift_templates = [", "not valid TOML"),
        ("rules.txt", "", "must end in .toml, .yaml or .yml"),
        ("rules.yaml", "- just\n- a list\n", "must hold a table"),
    ],
    ids=["bad-toml", "bad-suffix", "yaml-list"],
)
def test_load_rules_file_errors(tmp_path: Path, name: str, text: str, match: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=match):
        load_rules(path)


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="rules file not found"):
        load_rules(tmp_path / "absent.toml")
