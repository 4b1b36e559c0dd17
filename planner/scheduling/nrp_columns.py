"""Column generation for the Curtois & Qu instances: the roster relaxation, its bound, and a dive.

The compact model (:func:`planner.scheduling.nrp.build_nrp_model`) relaxes each employee's rules
one constraint at a time, and its linear relaxation is weak on the larger instances (Instance12:
3,627 against the optimum 4,040, and CP-SAT's own LP does not even finish its first solve in
15 s there). Here every column is one employee's whole legal roster, so the relaxation is the
convex hull of each employee's rosters, coupled only by the cover lines:

- **Master LP** (HiGHS): minimise the columns' request penalties plus the cover lines' under- and
  over-cover slacks at their weights, subject to one convexity row per employee (their columns'
  weights sum to 1) and one row per cover line (heads + under - over = requirement).
- **Pricing**: each employee's hard rules as a small CP-SAT model
  (:func:`planner.scheduling.nrp._build_free_cell_rules`) whose objective is the request
  penalties minus the cover lines' duals: the roster of least reduced cost.
- **Bound**: at duals ``pi`` within ``[-weight_over, weight_under]`` of each line, the Lagrangian
  ``sum(pi * requirement) + sum over employees of their least reduced cost`` is a lower bound on
  every roster's penalty (valid at any iteration whose pricing problems were all solved to
  optimality). Prices are smoothed towards the duals of the best bound so far (Wentges), which
  takes fewer iterations than pricing at the LP's own duals.
- **Dive**: the LP's optimum is fractional (on Instance12 59 of 60 employees split between
  rosters), so integer rosters come from a dive: fix the employees whose best column carries
  the most weight to that column, price the others again, and repeat until every employee is
  fixed.

On Instances 8-12 at 60 s (``bench/bench_nrp.py``; figures in ``bench/RESULTS.md``) the engine
started from the dive proves bounds of 1,297 / 406 / 4,631 / 3,443 / 4,040 (optima 1,300 / 439 /
4,631 / 3,443 / 4,040) and ends within 0-9 % of the optima, where CP-SAT on the compact model
ended 16-33 % above them on Instances 8 and 12.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from planner.progress import ProgressCallback, report
from planner.scheduling.nrp import OFF, NrpInstance, _build_free_cell_rules

__all__ = ["ColumnGenerationResult", "solve_by_column_generation"]

PRICE_SCALE = 100_000
"""Reduced costs are scaled by this and rounded for CP-SAT's integer objective; the bound allows
for the rounding (half a unit per day)."""

Roster = tuple[int, ...]
"""One employee's roster: the shift index worked on each day, ``OFF`` (-1) for a day off."""


@dataclass(frozen=True)
class ColumnGenerationResult:
    """Outcome of :func:`solve_by_column_generation`.

    ``roster`` has shape (employees, days) (shift index or -1); every row is a legal roster of its
    employee. ``bound`` is the best proven lower bound on the penalty (None when no iteration
    was priced to optimality), ``root_value`` the master LP's value when the dive began,
    ``root_converged`` whether no column could improve it then, ``unfixed_employees`` the rows
    the dive had not fixed at its deadline (they hold their heaviest column, legal for the
    employee but chosen against fractional neighbours).
    """

    roster: tuple[Roster, ...]
    bound: int | None
    root_value: float
    root_converged: bool
    unfixed_employees: tuple[int, ...]


class _RosterPricer:
    """One employee's pricing problem: their hard rules as a CP-SAT model, built once.

    ``request_costs`` has shape (days, shifts): the change in request penalty when the shift is
    worked on the day (minus the weight of a shift-on request, plus that of a shift-off one);
    ``request_constant`` is the penalty of working no requested shift.
    """

    first_try_seconds = 0.2
    """Time cap of the first pricing try, with CP-SAT's default linearisation (seconds)."""

    def __init__(self, instance: NrpInstance, employee: int) -> None:
        n_days, n_shifts = instance.horizon_days, len(instance.shifts)
        zeros = [[[0] * n_shifts for _ in range(n_days)] for _ in instance.employees]
        self.model, works = _build_free_cell_rules(
            instance, zeros, [(employee, d) for d in range(n_days)]
        )
        self.works = [works[(employee, d)] for d in range(n_days)]
        index = {s.shift_id: i for i, s in enumerate(instance.shifts)}
        name = instance.employees[employee].employee_id
        self.request_costs = np.zeros((n_days, n_shifts))
        self.request_constant = 0.0
        for request in instance.shift_on_requests:
            if request.employee_id == name:
                self.request_costs[request.day, index[request.shift_id]] -= request.weight
                self.request_constant += request.weight
        for request in instance.shift_off_requests:
            if request.employee_id == name:
                self.request_costs[request.day, index[request.shift_id]] += request.weight

    def cost(self, roster: Roster) -> float:
        """Request penalty of one of this employee's rosters."""
        return self.request_constant + sum(
            self.request_costs[d, s] for d, s in enumerate(roster) if s != OFF
        )

    def price(
        self, cover_duals: np.ndarray, seconds: float, seed: int
    ) -> tuple[list[Roster], float | None]:
        """Rosters of least reduced cost at ``cover_duals`` (shape (days, shifts), the value of
        one more head on each (day, shift)).

        Returns the last few rosters CP-SAT found (best first: extra columns cost nothing and
        save iterations) and a lower bound on the least reduced cost before the employee's
        convexity dual, or None when the solve was not proven optimal in ``seconds``. Safe in a
        worker thread: CP-SAT releases the GIL while it solves.
        """
        from ortools.sat.python import cp_model

        coefficients = np.rint((self.request_costs - cover_duals) * PRICE_SCALE).astype(int)
        self.model.minimize(
            sum(
                int(coefficients[d, s]) * lit
                for d, day in enumerate(self.works)
                for s, lit in enumerate(day)
                if not isinstance(lit, bool) and coefficients[d, s]
            )
        )
        works = self.works
        found: list[Roster] = []

        class Collector(cp_model.CpSolverSolutionCallback):
            def on_solution_callback(self) -> None:
                found.append(
                    tuple(
                        next(
                            (
                                s
                                for s, lit in enumerate(day)
                                if not isinstance(lit, bool) and self.boolean_value(lit)
                            ),
                            OFF,
                        )
                        for day in works
                    )
                )

        # Solve times of one pricing problem are heavy-tailed over seeds with CP-SAT's default
        # linearisation (Instance9's eight slowest: 0.07-15 s over five seeds), and steady but
        # slower with the full one (0.08-0.13 s; Instance12's root 29 s instead of 22 s): a short
        # try with the default, then the full linearisation for the rest of the time.
        started = time.perf_counter()
        for linearization_level, cap in ((1, min(seconds, self.first_try_seconds)), (2, seconds)):
            solver = cp_model.CpSolver()
            solver.parameters.num_workers = 1
            solver.parameters.random_seed = seed
            solver.parameters.max_time_in_seconds = max(0.01, cap - (time.perf_counter() - started))
            # small models: symmetry detection and probing cost more than they save
            solver.parameters.symmetry_level = 0
            solver.parameters.cp_model_probing_level = 0
            solver.parameters.linearization_level = linearization_level
            status = solver.solve(self.model, Collector())
            if status == cp_model.OPTIMAL:
                # the rounding of each day's coefficient is at most half a unit
                lower = (solver.best_objective_bound - 0.5 * len(works)) / PRICE_SCALE
                return found[::-1][:3], lower + self.request_constant
        return found[::-1][:3], None


class _Master:
    """The restricted master LP in HiGHS: columns are added as they are priced, and each solve
    starts from the previous basis."""

    def __init__(self, instance: NrpInstance) -> None:
        import highspy

        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("threads", 1)
        self.n_employees = len(instance.employees)
        index = {s.shift_id: i for i, s in enumerate(instance.shifts)}
        inf = highspy.kHighsInf
        for _ in range(self.n_employees):
            self.highs.addRow(1.0, 1.0, 0, np.array([], dtype=np.int32), np.array([]))
        self.n_days, self.n_shifts = instance.horizon_days, len(instance.shifts)
        self.cover_rows: dict[tuple[int, int], list[int]] = {}
        # flat (day, shift) cell of each cover line, to sum line duals into the value of a head
        self.line_cells = np.array(
            [line.day * self.n_shifts + index[line.shift_id] for line in instance.cover], dtype=int
        )
        # each line's requirement and weights, shape (lines,), for the Lagrangian and its box
        self.requirements = np.array([line.requirement for line in instance.cover], dtype=float)
        self.weights_under = np.array([line.weight_under for line in instance.cover], dtype=float)
        self.weights_over = np.array([line.weight_over for line in instance.cover], dtype=float)
        for k, line in enumerate(instance.cover):
            row = self.n_employees + k
            self.highs.addRow(
                float(line.requirement),
                float(line.requirement),
                0,
                np.array([], dtype=np.int32),
                np.array([]),
            )
            self.cover_rows.setdefault((line.day, index[line.shift_id]), []).append(row)
            # under-cover slack (+1) and over-cover slack (-1) at the line's weights
            self.highs.addCol(
                float(line.weight_under), 0.0, inf, 1, np.array([row], np.int32), np.array([1.0])
            )
            self.highs.addCol(
                float(line.weight_over), 0.0, inf, 1, np.array([row], np.int32), np.array([-1.0])
            )
        self.slack_columns = 2 * len(instance.cover)
        self.columns: list[tuple[int, Roster]] = []
        self.known: set[tuple[int, Roster]] = set()
        self.fixed: dict[int, Roster] = {}

    def add(self, employee: int, roster: Roster, cost: float) -> bool:
        """Add a column unless it is known or its employee is fixed to another roster."""
        key = (employee, roster)
        if key in self.known or employee in self.fixed:
            return False
        rows = [employee] + [
            row for d, s in enumerate(roster) if s != OFF for row in self.cover_rows.get((d, s), [])
        ]
        self.highs.addCol(
            float(cost),
            0.0,
            1.0,
            len(rows),
            np.array(rows, dtype=np.int32),
            np.ones(len(rows)),
        )
        self.columns.append(key)
        self.known.add(key)
        return True

    def fix(self, employee: int, roster: Roster) -> None:
        """Force ``employee``'s weight onto ``roster`` (a known column): the others get bound 0."""
        others = [
            self.slack_columns + j
            for j, (e, r) in enumerate(self.columns)
            if e == employee and r != roster
        ]
        if others:
            self.highs.changeColsBounds(
                len(others),
                np.array(others, dtype=np.int32),
                np.zeros(len(others)),
                np.zeros(len(others)),
            )
        self.fixed[employee] = roster

    def solve(self) -> tuple[float, np.ndarray, np.ndarray]:
        """Solve the LP: (value, cover line duals shape (lines,), employee duals shape
        (employees,))."""
        self.highs.run()
        row_dual = np.asarray(self.highs.getSolution().row_dual)
        value = self.highs.getInfo().objective_function_value
        return value, row_dual[self.n_employees :], row_dual[: self.n_employees]

    def head_values(self, line_prices: np.ndarray) -> np.ndarray:
        """The value of one more head on each (day, shift), shape (days, shifts): the sum of
        ``line_prices`` (shape (lines,)) over the cover lines of that cell."""
        cells = np.bincount(
            self.line_cells, weights=line_prices, minlength=self.n_days * self.n_shifts
        )
        return cells.reshape(self.n_days, self.n_shifts)

    def heaviest(self) -> dict[int, tuple[float, Roster]]:
        """Each employee's column of largest weight in the last solve, with that weight."""
        weights = np.asarray(self.highs.getSolution().col_value)[self.slack_columns :]
        best: dict[int, tuple[float, Roster]] = {}
        for weight, (employee, roster) in zip(weights, self.columns, strict=True):
            if weight > best.get(employee, (-1.0, roster))[0]:
                best[employee] = (float(weight), roster)
        return best


def _generate_columns(
    master: _Master,
    pricers: Sequence[_RosterPricer],
    pool: ThreadPoolExecutor,
    deadline: float,
    *,
    max_iterations: int | None,
    smoothing: float,
    seed: int,
    pricing_seconds: float,
    on_iteration: Callable[[float, float | None], None] | None = None,
) -> tuple[float, float | None, bool]:
    """Price and re-solve until no column improves the master, ``max_iterations`` or the deadline.

    Returns (master LP value, best Lagrangian bound found or None, converged). The bound is only
    valid while no employee is fixed (a fixed employee's column is not its best roster), so the
    dive calls this with the bound ignored. ``on_iteration(value, bound)`` is called after each
    pricing round.
    """
    bound: float | None = None
    centre: np.ndarray | None = None  # line duals of the best bound so far: prices lean to them
    mispriced = False
    iteration = 0
    value, duals, employee_duals = master.solve()
    while max_iterations is None or iteration < max_iterations:
        if time.perf_counter() >= deadline:
            return value, bound, False
        iteration += 1
        prices = (
            duals if centre is None or mispriced else (smoothing * centre + (1 - smoothing) * duals)
        )
        # the Lagrangian is finite only for prices within [-weight_over, weight_under]; the LP's
        # duals can overshoot by rounding
        prices = np.clip(prices, -master.weights_over, master.weights_under)
        head_prices, head_duals = master.head_values(prices), master.head_values(duals)
        free = [e for e in range(len(pricers)) if e not in master.fixed]
        seconds = min(pricing_seconds, max(0.01, deadline - time.perf_counter()))
        futures = [pool.submit(pricers[e].price, head_prices, seconds, seed + e) for e in free]
        results = [future.result() for future in futures]
        added = 0
        least_costs: list[float] = []
        for e, (rosters, least) in zip(free, results, strict=True):
            if least is not None:
                least_costs.append(least)
            for roster in rosters:
                cost = pricers[e].cost(roster)
                reduced = cost - sum(head_duals[d, s] for d, s in enumerate(roster) if s != OFF)
                if reduced - employee_duals[e] < -1e-6 and master.add(e, roster, cost):
                    added += 1
        if not master.fixed and len(least_costs) == len(free):
            lagrangian = float(prices @ master.requirements) + sum(least_costs)
            if bound is None or lagrangian > bound:
                bound, centre = lagrangian, prices
        if on_iteration is not None:
            on_iteration(value, bound)
        if added == 0:
            if centre is None or mispriced or smoothing == 0:
                return value, bound, True
            mispriced = True  # nothing at the smoothed prices: price at the LP's own duals next
            continue
        mispriced = False
        value, duals, employee_duals = master.solve()
    return value, bound, False


def solve_by_column_generation(
    instance: NrpInstance,
    start: Sequence[Roster],
    *,
    root_deadline: float,
    dive_deadline: float,
    threads: int = 2,
    seed: int = 0,
    smoothing: float = 0.5,
    dive_share: float = 0.125,
    dive_iterations: int = 3,
    pricing_seconds: float = 2.0,
    progress: ProgressCallback | None = None,
) -> ColumnGenerationResult:
    """The master LP's optimum (its bound) and a roster from a dive, within the deadlines.

    Parameters
    ----------
    instance : NrpInstance
    start : sequence of rosters, shape (employees, days)
        A legal roster of every employee: the first columns (the master needs one per employee).
    root_deadline, dive_deadline : float
        ``time.perf_counter()`` values: column generation at the root stops at the first, the
        dive at the second (the unfixed employees then take their heaviest column).
    threads : int
        Pricing problems solved at once (one CP-SAT worker each).
    seed : int
        Seed of the pricing solves.
    smoothing : float
        Weight in [0, 1) of the best bound's duals in the prices (0 prices at the LP's duals).
    dive_share : float
        Share of the unfixed employees fixed at each dive step (at least one), on top of those
        whose heaviest column already carries all their weight.
    dive_iterations : int
        Pricing rounds after each dive step at most. Few rounds finish the dive sooner, and the
        neighbourhood search then polishes its roster for longer (60 s through
        :func:`planner.scheduling.nrp.solve_nrp`; Instance12: 4,158-4,296 in four runs with 3
        rounds, 4,152-4,757 in five with 8; Instance8: 1,306-1,415 in six with 3, 1,304-1,498
        in five with 8).
    pricing_seconds : float
        Time cap of one pricing solve (seconds); a capped solve gives columns but no bound.
    progress : ProgressCallback, optional
        Called after each root pricing round with ("nrp <name> column generation LP=...
        bound=...", elapsed seconds, seconds to the root deadline), and after each dive step
        with ("nrp <name> dive LP=...", employees fixed, employees).

    Returns
    -------
    ColumnGenerationResult
    """
    started = time.perf_counter()
    n_employees = len(instance.employees)
    pricers = [_RosterPricer(instance, e) for e in range(n_employees)]
    master = _Master(instance)
    for e, roster in enumerate(start):
        master.add(e, tuple(roster), pricers[e].cost(tuple(roster)))
    root_total = int(max(0.0, root_deadline - started))

    def report_root(value: float, bound: float | None) -> None:
        shown = "none" if bound is None else str(int(math.ceil(bound - 1e-6)))
        report(
            progress,
            f"nrp {instance.name} column generation LP={value:.1f} bound={shown}",
            int(time.perf_counter() - started),
            root_total,
        )

    with ThreadPoolExecutor(max_workers=threads) as pool:
        root_value, bound, converged = _generate_columns(
            master,
            pricers,
            pool,
            root_deadline,
            max_iterations=None,
            smoothing=smoothing,
            seed=seed,
            pricing_seconds=pricing_seconds,
            on_iteration=report_root,
        )
        heaviest = master.heaviest()
        while len(master.fixed) < n_employees and time.perf_counter() < dive_deadline:
            unfixed = sorted(
                (item for item in heaviest.items() if item[0] not in master.fixed),
                key=lambda item: -item[1][0],
            )
            quota = max(1, math.ceil(dive_share * len(unfixed)))
            for rank, (e, (weight, roster)) in enumerate(unfixed):
                if weight > 1 - 1e-6 or rank < quota:
                    master.fix(e, roster)
            value, _, _ = _generate_columns(
                master,
                pricers,
                pool,
                dive_deadline,
                max_iterations=dive_iterations,
                smoothing=0.0,
                seed=seed,
                pricing_seconds=pricing_seconds,
            )
            heaviest = master.heaviest()
            report(
                progress, f"nrp {instance.name} dive LP={value:.1f}", len(master.fixed), n_employees
            )
    return ColumnGenerationResult(
        roster=tuple(master.fixed.get(e, heaviest[e][1]) for e in range(n_employees)),
        # early rounds' Lagrangians can be negative; a penalty never is
        bound=None if bound is None else max(0, int(math.ceil(bound - 1e-6))),
        root_value=root_value,
        root_converged=converged,
        unfixed_employees=tuple(e for e in range(n_employees) if e not in master.fixed),
    )
