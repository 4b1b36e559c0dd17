"""Queueing kernels: Erlang B, Erlang C and Erlang A (M/M/n+M), vectorised numpy.

Every function takes array-likes that broadcast against each other and returns float64 arrays of
the broadcast shape (0-d arrays for scalar input). Traffic is in Erlangs (calls x AHT / interval
length), agents are integer counts, times are in seconds. No pandas here: the frame layer
(:mod:`planner.staffing`) validates, calls these kernels and decides what NaN means for the user.

Undefined cases return NaN rather than garbage:

- Erlang C (M/M/n, infinite patience) has no steady state when ``traffic >= agents`` (and traffic
  is positive): the queue grows without bound. Wait probability, service level, ASA and occupancy
  are NaN there.
- Any kernel returns NaN where the input itself is invalid: negative or NaN traffic, agents that are
  negative, NaN or not whole numbers, non-positive AHT, negative times.
- Zero traffic is a queue with no calls: nothing waits (wait probability 0, service level 1,
  ASA 0, occupancy 0) whatever the number of agents, zero included.

Numerics
--------
Erlang B is evaluated in log space through the regularised incomplete gamma function,
``B(n, A) = poisson_pmf(n; A) / poisson_cdf(n; A)``, with ``poisson_cdf(n; A) =
gammaincc(n + 1, A)`` from :mod:`scipy.special` and the Poisson log-pmf in a Stirling form that
does not cancel for large ``n``. That costs O(1) per element for any number of agents (the classic
recursion ``B_k = A B_{k-1} / (k + A B_{k-1})`` costs O(n)); where the cdf underflows (traffic far
above the agents) the finite sum ``1 / B = sum_i prod_{l<i} (n - l) / A`` is added up directly,
which converges geometrically there. Agreement with the recursion is tested to 1e-12 relative.

Erlang A (Palm's M/M/n+M: Poisson arrivals, exponential handle times, exponential patience with
mean ``patience_seconds``) is exact: the birth-death chain's queue tail is summed in closed form,

``T(x, y) = sum_{j>=0} x^j / ((y+1)...(y+j)) = gammainc(y, x) / poisson_pmf(y; x)``

with ``x = traffic * patience / aht`` and ``y = agents * patience / aht`` (the Mandelbaum-Zeltyn
J function up to a factor). The service level uses the exact waiting-time distribution: a caller
who finds ``j`` callers queued ahead is served within ``t`` with probability
``y/(y+j+1) * I_p(j+1, y+1)``, ``p = 1 - exp(-t/patience)``, which sums over ``j`` to a difference
of regularised incomplete gammas: ``P(answered, W <= t | W > 0) = (y/x) (P(y+1, x) -
P(y+1, x e^{-t/patience})) / P(y, x)``. scipy's lower-tail ``gammainc`` loses digits for shape
parameters above about 2e5 (measured: 1e-9 relative at 5e5, 1e-2 at 1e7; reached only with
thousands of agents and patience tens of AHTs); there, and where it underflows, the series ``T`` is
summed term by term instead (``_gammainc_trusted``). The answered-call ASA and the
abandonment probability are expectations over the queue length an arriving caller meets; they
are summed directly over the window of queue lengths that carries all but ``exp(-50)`` of that
distribution's mass (a few hundred terms at realistic loads, about ``16 sqrt(x)`` in heavy
overload), which avoids the cancellation of the closed forms near the Erlang C limit.
Everything is stable to many thousands of agents and is defined for ``traffic >= agents``.

References: A. K. Erlang (1917); D. L. Jagerman, "Some properties of the Erlang loss function",
Bell Syst. Tech. J. 53 (1974); O. Garnett, A. Mandelbaum, M. Reiman, "Designing a call center
with impatient customers", MSOM 4 (2002); A. Mandelbaum, S. Zeltyn, "The Palm/Erlang-A queue,
with applications to call centers" (2007).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = [
    "ErlangAResult",
    "erlang_a",
    "erlang_b",
    "erlang_c_asa_seconds",
    "erlang_c_service_level",
    "erlang_c_wait_probability",
    "occupancy",
]

FloatArray = NDArray[np.float64]

_UNDERFLOW = 1e-280
"""Below this a regularised incomplete gamma value is treated as underflowed (series instead)."""

_GAMMAINC_TRUSTED_MAX = 2e5
"""Largest shape parameter for which scipy's lower-tail ``gammainc`` is used (see below)."""

_LOG_WINDOW_CUT = -50.0
"""Queue lengths whose probability is below exp(-50) of the mode's are left out of window sums."""

_WINDOW_BLOCK_ELEMENTS = 1 << 15
"""Largest (rows x window) block summed at once (kept small so that temporaries stay in cache)."""

_SERIES_MAX_TERMS = 10_000_000
"""Safety cap on the direct series; far above what any convergent case needs."""


# ---------------------------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------------------------


def _traffic(traffic_erlangs: ArrayLike) -> FloatArray:
    traffic = np.asarray(traffic_erlangs, dtype=np.float64)
    return np.where(traffic >= 0, traffic, np.nan)


def _agents(agents: ArrayLike) -> FloatArray:
    n = np.asarray(agents, dtype=np.float64)
    valid = (n >= 0) & (n == np.floor(n)) & np.isfinite(n)
    return np.where(valid, n, np.nan)


def _positive(values: ArrayLike) -> FloatArray:
    v = np.asarray(values, dtype=np.float64)
    return np.where((v > 0) & np.isfinite(v), v, np.nan)


def _non_negative(values: ArrayLike) -> FloatArray:
    v = np.asarray(values, dtype=np.float64)
    return np.where(v >= 0, v, np.nan)


# ---------------------------------------------------------------------------------------------
# Special-function building blocks
# ---------------------------------------------------------------------------------------------


def _log_poisson_pmf(k: FloatArray, a: FloatArray) -> FloatArray:
    """``log(exp(-a) a^k / Gamma(k + 1))`` for real ``k >= 0``, ``a >= 0`` (shapes broadcast).

    For ``k >= 20`` Stirling's series is used so that the large terms ``a``, ``k log a`` and
    ``lgamma(k + 1)`` never cancel: ``-k (d - log1p(d)) - log(2 pi k)/2 - s(k)`` with
    ``d = (a - k)/k``; the truncation error of ``s(k)`` is below 2e-15 there.
    """
    k, a = np.broadcast_arrays(np.asarray(k, dtype=np.float64), np.asarray(a, dtype=np.float64))
    out = np.empty(k.shape, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        small = k < 20
        ks, as_ = k[small], a[small]
        out[small] = -as_ + special.xlogy(ks, as_) - special.gammaln(ks + 1.0)
        big = ~small
        kb, ab = k[big], a[big]
        d = (ab - kb) / kb
        inv = 1.0 / kb
        inv2 = inv * inv
        stirling = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)))
        out[big] = -kb * (d - np.log1p(d)) - 0.5 * np.log(2 * np.pi * kb) - stirling
    return out


def _log_inverse_erlang_b_sum(n: FloatArray, a: FloatArray) -> FloatArray:
    """``log(1 / B(n, A)) = log sum_{i=0..n} prod_{l<i} (n - l) / A`` summed term by term.

    Used only where ``gammaincc(n + 1, A)`` underflows, i.e. ``A`` far above ``n``: the ratios
    ``(n - l) / A`` are then well below 1 and the loop ends after a few hundred terms (or when the
    numerator reaches 0). 1-D arrays, ``a > 0``.
    """
    total = np.ones(n.shape[0])
    term = np.ones(n.shape[0])
    active = np.arange(n.shape[0])
    i = 0
    while active.size and i < _SERIES_MAX_TERMS:
        i += 1
        term[active] *= np.maximum(n[active] - i + 1.0, 0.0) / a[active]
        total[active] += term[active]
        active = active[term[active] > 1e-17 * total[active]]
    return np.log(total)


def _gammainc_trusted(p: FloatArray, a: FloatArray, x: FloatArray) -> NDArray[np.bool_]:
    """Where ``p = scipy.special.gammainc(a, x)`` can be used to full relative accuracy.

    Measured against the directly summed series: below ``_GAMMAINC_TRUSTED_MAX`` the relative
    error stays under 1e-12 everywhere; for larger ``a`` the lower tail (``x`` several standard
    deviations below ``a``) loses digits (1e-9 at ``a = 5e5``, 1e-2 at ``a = 1e7``). Upper-side
    values (``x >= a``) are about 1 and always accurate. Underflowed values are never trusted.
    """
    return (p > _UNDERFLOW) & ((a <= _GAMMAINC_TRUSTED_MAX) | (x >= a))


def _log_tail_sum(x: ArrayLike, y: ArrayLike) -> FloatArray:
    """``log T(x, y)`` with ``T(x, y) = sum_{j>=0} x^j / ((y+1)(y+2)...(y+j))``, ``x, y >= 0``.

    ``T = gammainc(y, x) / poisson_pmf(y; x)`` (regularised lower incomplete gamma) where that is
    accurate; elsewhere (``x < y`` with ``gammainc`` underflowed or ``y`` above
    ``_GAMMAINC_TRUSTED_MAX``) the series is summed directly: its ratio ``x / (y + j)`` is below 1
    there and the terms above ``exp(-50)`` number at most about ``10 sqrt(y)``.
    """
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    shape = x.shape
    x, y = x.ravel(), y.ravel()
    out = np.full(x.shape, np.nan)
    ok = (x >= 0) & (y >= 0)
    zero_x = ok & (x == 0)
    out[zero_x] = 0.0
    zero_y = ok & (y == 0) & (x > 0)
    out[zero_y] = x[zero_y]  # T(x, 0) = e^x
    general = np.flatnonzero(ok & (x > 0) & (y > 0))
    if general.size:
        xg, yg = x[general], y[general]
        p = special.gammainc(yg, xg)
        with np.errstate(divide="ignore", invalid="ignore"):
            logt = np.log(p) - _log_poisson_pmf(yg, xg)
        bad = ~_gammainc_trusted(p, yg, xg)
        if bad.any():
            logt[bad] = _log_tail_sum_direct(xg[bad], yg[bad])
        out[general] = logt
    return out.reshape(shape)


def _log_erlang_b(traffic: FloatArray, agents: FloatArray) -> FloatArray:
    """``log B(n, A)`` for validated float arrays (NaN passes through), broadcast."""
    a, n = np.broadcast_arrays(traffic, agents)
    shape = a.shape
    a, n = a.ravel(), n.ravel()
    out = np.full(a.shape, np.nan)
    ok = ~(np.isnan(a) | np.isnan(n))
    idx = np.flatnonzero(ok)
    if idx.size:
        ai, ni = a[idx], n[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            cdf = special.gammaincc(ni + 1.0, ai)
            logb = _log_poisson_pmf(ni, ai) - np.log(cdf)
        logb = np.where(ai == 0, np.where(ni == 0, 0.0, -np.inf), logb)
        bad = (cdf <= _UNDERFLOW) & (ai > 0)
        if bad.any():
            logb[bad] = -_log_inverse_erlang_b_sum(ni[bad], ai[bad])
        out[idx] = logb
    return out.reshape(shape)


# ---------------------------------------------------------------------------------------------
# Erlang B and C
# ---------------------------------------------------------------------------------------------


def erlang_b(traffic_erlangs: ArrayLike, agents: ArrayLike) -> FloatArray:
    """Erlang B blocking probability of an M/M/n/n loss system.

    Parameters
    ----------
    traffic_erlangs : array_like of float, shape broadcastable
        Offered traffic ``A`` in Erlangs (>= 0).
    agents : array_like of int, shape broadcastable
        Number of servers ``n`` (whole numbers >= 0; any size, 5,000 and beyond).

    Returns
    -------
    numpy.ndarray of float64, broadcast shape
        ``B(n, A)`` in [0, 1]: 1 for ``n = 0``; 0 for ``A = 0, n > 0``; NaN for invalid input.

    Notes
    -----
    Computed in log space from scipy's regularised incomplete gamma function (O(1) per element,
    see the module notes), equal to the stable recursion
    ``B_0 = 1, B_k = A B_{k-1} / (k + A B_{k-1})`` to about 1e-13 relative.
    """
    return np.exp(_log_erlang_b(_traffic(traffic_erlangs), _agents(agents)))


def _erlang_c_from_b(a: FloatArray, n: FloatArray, b: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n * b / (n - a + a * b)
    c = np.where(a < n, c, np.nan)
    return np.where(a == 0, 0.0, c)


def _erlang_c_flat(
    a: FloatArray,
    n: FloatArray,
    aht: FloatArray,
    t: FloatArray,
    erlang_b_value: FloatArray | None = None,
) -> dict[str, FloatArray]:
    """Erlang C wait probability, service level, ASA and occupancy with one Erlang B evaluation.

    Same values as the public kernels (validated inputs, NaN where unstable); used by the
    staffing search, which needs all of them at once and may pass ``B(n, a)`` it already has.
    """
    if erlang_b_value is None:
        erlang_b_value = np.exp(_log_erlang_b(a, n))
    c = _erlang_c_from_b(a, n, erlang_b_value)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        sl = np.where(a == 0, 1.0, 1.0 - c * np.exp(-(n - a) * t / aht))
        asa = np.where(a == 0, 0.0, c * aht / (n - a))
        occ = np.where(a == 0, 0.0, np.where(a < n, a / n, np.nan))
    return {"wait_probability": c, "service_level": sl, "asa_seconds": asa, "occupancy": occ}


def erlang_c_wait_probability(traffic_erlangs: ArrayLike, agents: ArrayLike) -> FloatArray:
    """Erlang C probability that a call waits (all agents busy on arrival), M/M/n.

    Parameters
    ----------
    traffic_erlangs : array_like of float, shape broadcastable
        Offered traffic ``A`` in Erlangs (>= 0).
    agents : array_like of int, shape broadcastable
        Number of agents ``n`` (whole numbers >= 0).

    Returns
    -------
    numpy.ndarray of float64, broadcast shape
        ``C(n, A) = n B / (n - A (1 - B))`` in [0, 1]. **NaN where ``traffic >= agents`` and
        traffic > 0**: the queue is unstable (it grows without bound), so no steady-state value
        exists; use :func:`erlang_a` for a model that is defined there. 0 where traffic is 0.
    """
    a, n = _traffic(traffic_erlangs), _agents(agents)
    return _erlang_c_from_b(a, n, np.exp(_log_erlang_b(a, n)))


def erlang_c_service_level(
    traffic_erlangs: ArrayLike,
    agents: ArrayLike,
    aht_seconds: ArrayLike,
    answer_target_seconds: ArrayLike,
) -> FloatArray:
    """Erlang C service level: fraction of calls answered within the answer target.

    Parameters
    ----------
    traffic_erlangs : array_like of float, shape broadcastable
        Offered traffic ``A`` in Erlangs (>= 0).
    agents : array_like of int, shape broadcastable
        Number of agents ``n``.
    aht_seconds : array_like of float, shape broadcastable
        Average handle time in seconds (> 0).
    answer_target_seconds : array_like of float, shape broadcastable
        The ``t`` of "80/20" in seconds (>= 0).

    Returns
    -------
    numpy.ndarray of float64, broadcast shape
        ``P(wait <= t) = 1 - C(n, A) exp(-(n - A) t / aht)`` in [0, 1]; NaN where the queue is
        unstable (``traffic >= agents``, traffic > 0) or the input is invalid; 1 where traffic is 0.
    """
    a, n = _traffic(traffic_erlangs), _agents(agents)
    aht, t = _positive(aht_seconds), _non_negative(answer_target_seconds)
    c = _erlang_c_from_b(a, n, np.exp(_log_erlang_b(a, n)))
    with np.errstate(invalid="ignore", over="ignore"):
        sl = 1.0 - c * np.exp(-(n - a) * t / aht)
    return np.where(a == 0, np.where(np.isnan(aht + t + n), np.nan, 1.0), sl)


def erlang_c_asa_seconds(
    traffic_erlangs: ArrayLike, agents: ArrayLike, aht_seconds: ArrayLike
) -> FloatArray:
    """Erlang C average speed of answer (mean wait of all calls, all of which are answered).

    Parameters
    ----------
    traffic_erlangs : array_like of float, shape broadcastable
        Offered traffic ``A`` in Erlangs (>= 0).
    agents : array_like of int, shape broadcastable
        Number of agents ``n``.
    aht_seconds : array_like of float, shape broadcastable
        Average handle time in seconds (> 0).

    Returns
    -------
    numpy.ndarray of float64, broadcast shape
        ``C(n, A) aht / (n - A)`` in seconds (calls that do not wait count as 0 s); NaN where the
        queue is unstable or the input is invalid; 0 where traffic is 0.
    """
    a, n, aht = _traffic(traffic_erlangs), _agents(agents), _positive(aht_seconds)
    c = _erlang_c_from_b(a, n, np.exp(_log_erlang_b(a, n)))
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = c * aht / (n - a)
    return np.where(a == 0, np.where(np.isnan(aht + n), np.nan, 0.0), asa)


def occupancy(traffic_erlangs: ArrayLike, agents: ArrayLike) -> FloatArray:
    """Erlang C occupancy: fraction of agents' time busy with calls, ``traffic / agents``.

    Parameters
    ----------
    traffic_erlangs : array_like of float, shape broadcastable
        Offered traffic in Erlangs (>= 0).
    agents : array_like of int, shape broadcastable
        Number of agents.

    Returns
    -------
    numpy.ndarray of float64, broadcast shape
        ``A / n`` in [0, 1); NaN where the Erlang C queue is unstable (``traffic >= agents``,
        traffic > 0); 0 where traffic is 0. For Erlang A (carried load over agents, defined in
        overload too) see :attr:`ErlangAResult.occupancy`.
    """
    a, n = _traffic(traffic_erlangs), _agents(agents)
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(a < n, a / n, np.nan)
    return np.where(a == 0, np.where(np.isnan(n), np.nan, 0.0), occ)


# ---------------------------------------------------------------------------------------------
# Erlang A
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErlangAResult:
    """Exact steady-state KPIs of the Erlang A (M/M/n+M) queue; every field has the broadcast shape.

    Attributes
    ----------
    wait_probability : numpy.ndarray of float64
        Fraction of calls that find every agent busy and join the queue, ``P(W > 0)``.
    abandon_rate : numpy.ndarray of float64
        Fraction of offered calls that hang up before being answered, ``P(Ab)``.
    service_level : numpy.ndarray of float64
        Fraction of **offered** calls answered within the answer target: calls that abandon count
        as missing the target whenever they abandon (this is the PRODUCT.md definition and the one
        staffing targets use), ``P(answered and W <= t)``.
    service_level_of_answered : numpy.ndarray of float64
        Fraction of **answered** calls answered within the target, ``P(W <= t | answered)``; NaN
        when no call is answered (no agents).
    asa_seconds : numpy.ndarray of float64
        Mean wait of answered calls in seconds (calls answered at once count as 0 s),
        ``E[W | answered]``; NaN when no call is answered.
    mean_wait_seconds : numpy.ndarray of float64
        Mean time in queue of all offered calls (answered or abandoned) in seconds; equals
        ``abandon_rate * patience_seconds`` (Little's law with exponential patience).
    occupancy : numpy.ndarray of float64
        Carried load over agents, ``traffic (1 - abandon_rate) / agents``; NaN with no agents and
        some traffic.
    """

    wait_probability: FloatArray
    abandon_rate: FloatArray
    service_level: FloatArray
    service_level_of_answered: FloatArray
    asa_seconds: FloatArray
    mean_wait_seconds: FloatArray
    occupancy: FloatArray


def _window_bounds(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Window ``[lo, hi]`` of queue lengths ``j`` that carries the distribution ``q_j``.

    ``q_j`` is proportional to ``x^j / ((y+1)...(y+j))``: log-concave with mode
    ``max(0, floor(x - y))``. The window keeps every ``j`` with ``log q_j >= log q_mode - 50``.
    Where ``x`` is 0 (traffic so small that ``traffic * patience / aht`` underflows) the window is
    ``j = 0`` alone.
    """
    zero = x == 0
    x = np.where(zero, 1.0, x)  # any positive value: the bounds of these rows are set to 0 below
    mode = np.maximum(np.floor(x - y), 0.0)
    logx = np.log(x)
    log_q_mode = mode * logx - special.gammaln(y + 1 + mode)

    def outside(m: FloatArray) -> NDArray[np.bool_]:  # log q_m - log q_mode < cut
        return (m * logx - special.gammaln(y + 1 + m)) - log_q_mode < _LOG_WINDOW_CUT

    def first_outside(direction: float) -> FloatArray:
        # Smallest offset d >= 1 with mode + direction*d outside the window (or below 0):
        # gallop by doubling, then bisect the last doubling (log q is concave in m).
        def out(d: FloatArray) -> NDArray[np.bool_]:
            m = mode + direction * d
            return (m <= 0) | outside(np.maximum(m, 0.0)) if direction < 0 else outside(m)

        high = np.ones_like(mode)
        for _ in range(64):
            still_in = ~out(high)
            if not still_in.any():
                break
            high = np.where(still_in, 2 * high, high)
        low = np.where(high > 1, high / 2, 0.0)  # offset known to be inside (0 is the mode)
        while True:
            open_ = high - low > 1
            if not open_.any():
                return high
            mid = np.floor((low + high) / 2)
            mid_out = out(mid)
            high = np.where(open_ & mid_out, mid, high)
            low = np.where(open_ & ~mid_out, mid, low)

    hi = np.where(zero, 0.0, mode + first_outside(1.0))
    lo = np.where(zero | (mode == 0), 0.0, np.maximum(mode - first_outside(-1.0), 0.0))
    return lo, hi


def _blocks(length: FloatArray) -> Iterator[tuple[NDArray[np.intp], int]]:
    """Yield (element indices, width) blocks of similar window length, rows x width bounded."""
    lengths = length.astype(np.int64)
    order = np.argsort(lengths, kind="stable")
    start = 0
    while start < order.size:
        rows = max(1, _WINDOW_BLOCK_ELEMENTS // max(int(lengths[order[start]]), 1))
        block = order[start : start + rows]
        start += block.size
        yield block, int(lengths[block].max())


def _log_tail_sum_direct(x: FloatArray, y: FloatArray) -> FloatArray:
    """``log T(x, y)`` for ``0 < x < y`` by adding up the series itself (1-D arrays).

    The terms ``x^j / ((y+1)...(y+j))`` fall from 1 at ``j = 0``; the sum runs over the window of
    :func:`_window_bounds` (all terms above ``exp(-50)``), in blocks of running products.
    """
    out = np.empty(x.shape[0])
    if x.shape[0] == 0:
        return out
    _, hi = _window_bounds(x, y)
    for block, width in _blocks(hi + 1):
        xb, yb = x[block, None], y[block, None]
        j = np.arange(1, width, dtype=np.float64)[None, :]
        terms = np.cumprod(xb / (yb + j), axis=1)
        terms[j > hi[block, None]] = 0.0
        out[block] = np.log1p(terms.sum(axis=1))
    return out


def _queue_window_moments(
    x: FloatArray, y: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Expectations over the queue length ``j`` met by a caller who has to wait.

    Returns ``(served, abandoned, theta_wait_served)``, 1-D like ``x`` and ``y`` (``x > 0``,
    ``y > 0``): ``E[y/(y+j+1)]`` (probability of being answered), ``E[(j+1)/(y+j+1)]`` (of
    abandoning) and ``E[y/(y+j+1) * sum_{k=1..j+1} 1/(y+k)]`` (``theta * E[W; answered]``).
    """
    size = x.shape[0]
    served = np.empty(size)
    abandoned = np.empty(size)
    wait_served = np.empty(size)
    if size == 0:
        return served, abandoned, wait_served
    lo, hi = _window_bounds(x, y)
    for block, width in _blocks(hi - lo + 1):
        xb, yb, lob = x[block, None], y[block, None], lo[block, None]
        j = lob + np.arange(width, dtype=np.float64)[None, :]
        inv = 1.0 / (yb + j + 1.0)  # 1/(y+j+1): answered share and harmonic increments
        # q_j relative to the window start from the exact step ratios x/(y+j) = x inv_{j-1};
        # the window is at most exp(-_LOG_WINDOW_CUT) tall, so the product cannot overflow.
        weight = np.empty(j.shape)
        weight[:, 0] = 1.0
        np.cumprod(xb * inv[:, :-1], axis=1, out=weight[:, 1:])
        weight[j > hi[block, None]] = 0.0
        # H_{j+1} = sum_{k=1..j+1} 1/(y+k): digamma difference at the window start, then cumsum.
        first = np.where(
            lob[:, 0] == 0,
            inv[:, 0],
            special.digamma(yb[:, 0] + lob[:, 0] + 2.0) - special.digamma(yb[:, 0] + 1.0),
        )
        harmonic = np.empty(j.shape)
        harmonic[:, 0] = first
        np.cumsum(inv[:, 1:], axis=1, out=harmonic[:, 1:])
        harmonic[:, 1:] += first[:, None]
        norm = weight.sum(axis=1)
        weighted_inv = weight * inv
        served[block] = yb[:, 0] * weighted_inv.sum(axis=1) / norm
        abandoned[block] = (weighted_inv * (j + 1.0)).sum(axis=1) / norm
        wait_served[block] = yb[:, 0] * (weighted_inv * harmonic).sum(axis=1) / norm
    return served, abandoned, wait_served


def erlang_a(
    traffic_erlangs: ArrayLike,
    agents: ArrayLike,
    aht_seconds: ArrayLike,
    patience_seconds: ArrayLike,
    answer_target_seconds: ArrayLike,
) -> ErlangAResult:
    """Exact Erlang A (M/M/n+M, Palm) KPIs: exponential handle times and caller patience.

    Parameters
    ----------
    traffic_erlangs : array_like of float, shape broadcastable
        Offered traffic ``A`` in Erlangs (>= 0); may exceed the agents.
    agents : array_like of int, shape broadcastable
        Number of agents ``n`` (whole numbers >= 0; stable far beyond 5,000).
    aht_seconds : array_like of float, shape broadcastable
        Average handle time in seconds (> 0).
    patience_seconds : array_like of float, shape broadcastable
        Mean caller patience in seconds (exponentially distributed). ``inf`` gives Erlang C
        exactly (NaN where it is unstable); ``0`` gives the Erlang B loss limit (every caller who
        finds all agents busy leaves at once: abandon rate ``B``, service level ``1 - B``).
    answer_target_seconds : array_like of float, shape broadcastable
        The ``t`` of "80/20" in seconds (>= 0).

    Returns
    -------
    ErlangAResult
        Frozen dataclass of float64 arrays of the broadcast shape; see its attributes for the
        exact definitions (``service_level`` is answered within ``t`` over offered).

    Notes
    -----
    With ``r = patience/aht``, ``x = A r``, ``y = n r``, ``B`` the Erlang B value and ``T`` the
    queue-tail sum of the module notes: ``P(W > 0) = B T / (1 + (T - 1) B)``; the answered
    probability of a waiting caller is ``y T(x, y+1) / ((y+1) T(x, y))``; the probability of being
    answered after more than ``t`` is the same with ``T(x e^{-t/patience}, y+1)`` times
    ``exp(-t/patience + x (1 - e^{-t/patience}) - y t / patience)``.
    """
    a = _traffic(traffic_erlangs)
    n = _agents(agents)
    aht = _positive(aht_seconds)
    patience = _non_negative(patience_seconds)
    t = _non_negative(answer_target_seconds)
    a, n, aht, patience, t = np.broadcast_arrays(a, n, aht, patience, t)
    shape = a.shape
    fields = _erlang_a_flat(
        a.ravel(), n.ravel(), aht.ravel(), patience.ravel(), t.ravel(), moments="exact"
    )
    return ErlangAResult(**{name: value.reshape(shape) for name, value in fields.items()})


def _erlang_a_flat(
    a: FloatArray,
    n: FloatArray,
    aht: FloatArray,
    patience: FloatArray,
    t: FloatArray,
    *,
    moments: Literal["none", "closed", "exact"],
) -> dict[str, FloatArray]:
    """Erlang A on validated 1-D arrays of equal length (NaN marks invalid input).

    ``moments="exact"`` computes every field (what :func:`erlang_a` returns). The staffing search
    uses two cheaper modes: ``"none"`` computes only ``wait_probability`` and ``service_level``
    (the other fields stay NaN); ``"closed"`` adds ``abandon_rate`` and ``occupancy`` from the
    closed form ``P(Ab | W > 0) = 1 - P(S | W > 0)``, which skips the queue window sums but loses
    relative accuracy when abandonment is tiny (it is used for a starting guess only).
    """
    size = a.shape[0]

    wait = np.full(size, np.nan)
    abandon = np.full(size, np.nan)
    sl = np.full(size, np.nan)
    sl_answered = np.full(size, np.nan)
    asa = np.full(size, np.nan)
    mean_wait = np.full(size, np.nan)
    occ = np.full(size, np.nan)

    valid = ~np.isnan(a + n + aht + patience + t)

    # No traffic: nothing waits.
    idx = np.flatnonzero(valid & (a == 0))
    wait[idx], abandon[idx], sl[idx], sl_answered[idx] = 0.0, 0.0, 1.0, 1.0
    asa[idx], mean_wait[idx], occ[idx] = 0.0, 0.0, 0.0

    # Traffic but no agents: every caller waits until they give up.
    idx = np.flatnonzero(valid & (a > 0) & (n == 0))
    wait[idx], abandon[idx], sl[idx] = 1.0, 1.0, 0.0
    mean_wait[idx] = patience[idx]

    live = valid & (a > 0) & (n > 0)

    # Infinite patience: Erlang C (NaN where unstable).
    idx = np.flatnonzero(live & np.isinf(patience))
    if idx.size:
        ai, ni, ahti, ti = a[idx], n[idx], aht[idx], t[idx]
        c = _erlang_c_from_b(ai, ni, np.exp(_log_erlang_b(ai, ni)))
        wait[idx] = c
        abandon[idx] = np.where(np.isnan(c), np.nan, 0.0)
        sl[idx] = sl_answered[idx] = 1.0 - c * np.exp(-(ni - ai) * ti / ahti)
        asa[idx] = mean_wait[idx] = c * ahti / (ni - ai)
        occ[idx] = np.where(np.isnan(c), np.nan, ai / ni)

    # Zero patience: the Erlang B loss limit.
    idx = np.flatnonzero(live & (patience == 0))
    if idx.size:
        b = np.exp(_log_erlang_b(a[idx], n[idx]))
        wait[idx] = abandon[idx] = b
        sl[idx] = 1.0 - b
        sl_answered[idx] = 1.0
        asa[idx] = mean_wait[idx] = 0.0
        occ[idx] = a[idx] * (1.0 - b) / n[idx]

    idx = np.flatnonzero(live & np.isfinite(patience) & (patience > 0))
    if idx.size:
        ai, ni, ahti, pi, ti = a[idx], n[idx], aht[idx], patience[idx], t[idx]
        r = pi / ahti
        x, y = ai * r, ni * r
        log_b = _log_erlang_b(ai, ni)
        log_t = _log_tail_sum(x, y)
        with np.errstate(over="ignore"):
            ratio = (-np.expm1(log_b)) * np.exp(-(log_b + log_t))  # P(W = 0) / P(W > 0)
        p_wait = 1.0 / (1.0 + ratio)
        with np.errstate(divide="ignore", over="ignore"):
            p_no_wait = 1.0 / (1.0 + 1.0 / ratio)
        # Answered, and answered after more than t, among callers who wait:
        #   P(S | W>0) = (y/x) P(y+1, x) / P(y, x),
        #   P(S, W>t | W>0) = P(S | W>0) P(y+1, x') / P(y+1, x),  x' = x exp(-t/patience),
        # with P the regularised lower incomplete gamma; through log T where P underflows.
        theta_t = ti / pi
        shrunk = x * np.exp(-theta_t)
        p_y = special.gammainc(y, x)
        p_y1 = special.gammainc(y + 1.0, x)
        p_y1_shrunk = special.gammainc(y + 1.0, shrunk)
        direct = _gammainc_trusted(p_y, y, x) & _gammainc_trusted(p_y1_shrunk, y + 1.0, shrunk)
        served_given_wait = np.empty(idx.size)
        log_late_ratio = np.empty(idx.size)
        served_given_wait[direct] = (y[direct] / x[direct]) * (p_y1[direct] / p_y[direct])
        with np.errstate(divide="ignore"):
            log_late_ratio[direct] = np.log(p_y1_shrunk[direct]) - np.log(p_y1[direct])
        fallback = ~direct
        if fallback.any():
            xf, yf, tf, lf = x[fallback], y[fallback], theta_t[fallback], log_t[fallback]
            log_t1 = _log_tail_sum(xf, yf + 1.0)
            served_given_wait[fallback] = np.exp(np.log(yf / (yf + 1.0)) + log_t1 - lf)
            log_late_ratio[fallback] = (
                _log_tail_sum(shrunk[fallback], yf + 1.0)
                - log_t1
                - xf * np.expm1(-tf)
                - (yf + 1.0) * tf
            )
        within_given_wait = served_given_wait * -np.expm1(np.minimum(log_late_ratio, 0.0))
        wait[idx] = p_wait
        sl[idx] = np.clip(p_no_wait + p_wait * within_given_wait, 0.0, 1.0)
        if moments == "closed":
            p_answered = p_no_wait + p_wait * served_given_wait
            abandon[idx] = p_wait * (1.0 - served_given_wait)
            occ[idx] = ai * p_answered / ni
        elif moments == "exact":
            # Abandonment and answered wait from the queue length an arrival meets.
            served_w, abandoned_w, theta_wait_served_w = _queue_window_moments(x, y)
            p_abandon = p_wait * abandoned_w
            p_answered = p_no_wait + p_wait * served_w
            abandon[idx] = p_abandon
            sl_answered[idx] = np.clip(sl[idx] / p_answered, 0.0, 1.0)
            asa[idx] = p_wait * theta_wait_served_w * pi / p_answered
            mean_wait[idx] = p_abandon * pi
            occ[idx] = ai * p_answered / ni

    return {
        "wait_probability": wait,
        "abandon_rate": abandon,
        "service_level": sl,
        "service_level_of_answered": sl_answered,
        "asa_seconds": asa,
        "mean_wait_seconds": mean_wait,
        "occupancy": occ,
    }
