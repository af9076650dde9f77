"""RODAS4: a stiffly accurate, L-stable Rosenbrock method of order 4 (embedded order 3), in numba.

Why not LSODA: SciPy's ``odeint`` calls the model through Python at every right-hand-side
evaluation and builds its Jacobian from n extra evaluations; for the 13-species model that
crossing costs more than the arithmetic. Here the whole step loop — stages, a forward-difference
Jacobian of the compiled RHS (increments as in ODEPACK, scaled by each species' error weight:
cells near 1e9 and concentrations near 1 in one state need different ones; RODAS's default
sqrt(eps · |y_j|) gave a Jacobian poor enough to triple the steps), a dense LU with partial
pivoting of the stage matrix in error-weighted variables, step-size control and dense output —
runs as machine code; one call integrates one segment. A Rosenbrock step solves linear systems
only (no Newton iteration that can fail to converge) and suits small stiff systems at the
tolerances used here (Hairer & Wanner 1996, §IV.7).

Coefficients: Hairer & Wanner 1996, Solving ODEs II, §VI.4 (RODAS), in the form of Sandu et al.
1997 Atmos Environ 31:3459 (KPP): stage i solves ((hγ)⁻¹I − J) K_i = f(t + α_i h, y + Σ a_ij K_j)
+ Σ (c_ij / h) K_j + h γ_i ∂f/∂t; y_new = y + Σ m_i K_i; error = K_6. Output times inside a step
are interpolated with the cubic Hermite polynomial through (y, f) at both ends (the end's f is the
next step's first stage, so interpolation costs no extra evaluation).
"""

from __future__ import annotations

import math

import numba
import numpy as np

STAGES = 6
ALPHA = np.array([0.0, 0.386, 0.210, 0.630, 1.0, 1.0])
GAMMA = np.array([0.25, -0.1043, 0.1035, -0.3620000000000023e-01, 0.0, 0.0])
_A = (
    0.1544000000000000e01,
    0.9466785280815826e00,
    0.2557011698983284e00,
    0.3314825187068521e01,
    0.2896124015972201e01,
    0.9986419139977817e00,
    0.1221224509226641e01,
    0.6019134481288629e01,
    0.1253708332932087e02,
    -0.6878860361058950e00,
)
_C = (
    -0.5668800000000000e01,
    -0.2430093356833875e01,
    -0.2063599157091915e00,
    -0.1073529058151375e00,
    -0.9594562251023355e01,
    -0.2047028614809616e02,
    0.7496443313967647e01,
    -0.1024680431464352e02,
    -0.3399990352819905e02,
    0.1170890893206160e02,
    0.8083246795921522e01,
    -0.7981132988064893e01,
    -0.3152159432874371e02,
    0.1631930543123136e02,
    -0.6058818238834054e01,
)


def _lower(values: tuple[float, ...]) -> np.ndarray:
    """Row-wise strictly lower triangle (a21, a31, a32, ...) as a full 6 x 6 matrix."""
    out = np.zeros((STAGES, STAGES))
    k = 0
    for i in range(1, STAGES):
        for j in range(i):
            out[i, j] = values[k]
            k += 1
    return out


# stage 6 is evaluated at y_new (stiffly accurate): a_6j = m_j, a_65 = 1
A = _lower((*_A, *_A[6:10], 1.0))
C = _lower(_C)
M = np.array([*_A[6:10], 1.0, 1.0])
ORDER_ESTIMATE = 4.0  # min(order, embedded order) + 1
FAC_MIN, FAC_MAX, FAC_SAFE, FAC_REJECT = 0.2, 6.0, 0.9, 0.1
MAX_SINGULAR = 5

# status codes returned by integrate()
OK, TOO_MANY_STEPS, STEP_TOO_SMALL, SINGULAR, NON_FINITE = 0, 1, 2, 3, 4
# counters written into the stats array
NFEV, NJEV, NLU, NACCEPT, NREJECT = 0, 1, 2, 3, 4
N_STATS = 5


@numba.njit(cache=True)
def lu_factor(a: np.ndarray, piv: np.ndarray) -> bool:
    """In-place LU with partial pivoting (Doolittle); False when a pivot is zero."""
    n = a.shape[0]
    for c in range(n):
        best, r = abs(a[c, c]), c
        for q in range(c + 1, n):
            if abs(a[q, c]) > best:
                best, r = abs(a[q, c]), q
        if best == 0.0 or not math.isfinite(best):
            return False
        piv[c] = r
        if r != c:
            for q in range(n):
                a[c, q], a[r, q] = a[r, q], a[c, q]
        inv = 1.0 / a[c, c]
        for q in range(c + 1, n):
            a[q, c] *= inv
            f = a[q, c]
            if f != 0.0:
                for w in range(c + 1, n):
                    a[q, w] -= f * a[c, w]
    return True


@numba.njit(cache=True)
def lu_solve(a: np.ndarray, piv: np.ndarray, b: np.ndarray) -> None:
    """Solve a x = b in place with the factors of :func:`lu_factor`."""
    n = a.shape[0]
    for c in range(n):
        r = piv[c]
        if r != c:
            b[c], b[r] = b[r], b[c]
    for i in range(n):
        s = b[i]
        for j in range(i):
            s -= a[i, j] * b[j]
        b[i] = s
    for i in range(n - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, n):
            s -= a[i, j] * b[j]
        b[i] = s / a[i, i]


@numba.njit(error_model="numpy")
def _write_row(obs, out, k, t, y, p, clip, obuf):
    n = y.shape[0]
    for i in range(n):
        out[k, i] = max(y[i], 0.0) if clip[i] else y[i]
    obs(t, y, p, obuf)
    for j in range(obuf.shape[0]):
        out[k, n + j] = obuf[j]


def dense_groups(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Column groups of a dense n x n Jacobian (every column alone, every row reads it), in
    the layout of :func:`integrate`'s ``jac_*`` arguments."""
    col = np.arange(n, dtype=np.int64)
    return (
        col.copy(),
        np.arange(n + 1, dtype=np.int64),
        np.tile(col, n),
        np.arange(0, n * n + 1, n, dtype=np.int64),
    )


@numba.njit(error_model="numpy")
def integrate(
    rhs,
    obs,
    jac_cols,
    jac_ptr,
    jac_rows,
    jac_rptr,
    y,
    t0,
    t1,
    tout,
    p,
    u,
    clip,
    autonomous,
    rtol,
    atol,
    max_steps,
    out,
    stats,
):
    """Integrate y' = rhs(t, y) from t0 to t1 (y updated in place to the state reached).

    Rows of ``out`` (states clipped where ``clip``, then observables) are written for each
    ``tout`` in [t0, t1], in order. Returns (status, time reached, rows written); counters are
    added to ``stats`` (see NFEV...). A failure keeps the rows written before it.

    The Jacobian's columns come in groups of species that no derivative reads together
    (``jac_cols[jac_ptr[g]:jac_ptr[g + 1]]``; the rows reading column j are
    ``jac_rows[jac_rptr[j]:jac_rptr[j + 1]]``): one RHS evaluation differences a whole group
    (Curtis, Powell & Reid 1974 J Inst Math Appl 13:117). Every entry is the one a column at a
    time would give, bit for bit, since a row never sees the other columns of its group.
    """
    n = y.shape[0]
    n_out = tout.shape[0]
    obuf = np.empty(out.shape[1] - n)
    k_st = np.zeros((STAGES, n))
    ynew = np.empty(n)
    ytmp = np.empty(n)
    f0 = np.empty(n)
    f1 = np.empty(n)
    dfdt = np.zeros(n)
    jmat = np.zeros((n, n))  # entries outside the pattern stay 0
    dlt = np.empty(n)
    ysave = np.empty(n)
    lu = np.empty((n, n))
    piv = np.zeros(n, dtype=np.int64)
    wts = np.empty(n)
    t = t0
    rows = 0
    while rows < n_out and tout[rows] <= t0:
        _write_row(obs, out, rows, tout[rows], y, p, clip, obuf)
        rows += 1
    span = t1 - t0
    if span <= 0.0:
        return OK, t, rows
    rhs(t, y, p, u, f0)
    stats[NFEV] += 1
    # starting step (Hairer, Norsett & Wanner 1993, §II.4): 1% of |y| / |f| in the error norm
    d0 = 0.0
    d1 = 0.0
    for i in range(n):
        sc = atol + rtol * abs(y[i])
        d0 += (y[i] / sc) ** 2
        d1 += (f0[i] / sc) ** 2
    d0 = math.sqrt(d0 / n)
    d1 = math.sqrt(d1 / n)
    h = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    h = min(h, span)
    reject_last = False
    reject_more = False
    fresh_jac = False
    singular = 0
    attempts = 0
    status = OK
    while t < t1:
        if attempts >= max_steps:
            status = TOO_MANY_STEPS
            break
        if t + 0.1 * h == t:
            status = NON_FINITE if status == NON_FINITE else STEP_TOO_SMALL
            break
        last = t + 1.0001 * h >= t1
        if last:
            h = t1 - t
        if not fresh_jac:
            # increments as in ODEPACK's DPRJA: sqrt(eps)|y_j|, floored at r0 times the
            # error weight (so a species at 0 still gets a step its tolerance can resolve)
            fnorm = 0.0
            for i in range(n):
                fnorm += (f0[i] / (atol + rtol * abs(y[i]))) ** 2
            r0 = 1000.0 * abs(h) * 2.2e-16 * n * math.sqrt(fnorm / n)
            if r0 == 0.0:
                r0 = 1.0
            for g in range(jac_ptr.shape[0] - 1):
                for c in range(jac_ptr[g], jac_ptr[g + 1]):
                    j = jac_cols[c]
                    y_j = y[j]
                    ysave[j] = y_j
                    dlt[j] = max(1.4901161193847656e-08 * abs(y_j), r0 * (atol + rtol * abs(y_j)))
                    y[j] = y_j + dlt[j]
                rhs(t, y, p, u, ytmp)
                for c in range(jac_ptr[g], jac_ptr[g + 1]):
                    j = jac_cols[c]
                    y[j] = ysave[j]
                    for q in range(jac_rptr[j], jac_rptr[j + 1]):
                        i = jac_rows[q]
                        jmat[i, j] = (ytmp[i] - f0[i]) / dlt[j]
            stats[NFEV] += jac_ptr.shape[0] - 1
            stats[NJEV] += 1
            if not autonomous:
                delta = math.sqrt(2.2e-16) * max(1e-6, abs(t))
                rhs(t + delta, y, p, u, dfdt)
                stats[NFEV] += 1
                for i in range(n):
                    dfdt[i] = (dfdt[i] - f0[i]) / delta
            fresh_jac = True
        ghinv = 1.0 / (h * GAMMA[0])
        # the stage systems are solved in error-weighted variables K / w (w = each species'
        # error weight): pivoting on the raw matrix let a cell-count row (entries ~1e9) pivot
        # for a species that is exactly 0 and leave rounding (~1e-17) in it, which couplings
        # to cell counts then grew into phantom cells (1e-7 senescent cells without senescence)
        for i in range(n):
            wts[i] = atol + rtol * abs(y[i])
        for i in range(n):
            for j in range(n):
                lu[i, j] = -jmat[i, j] * (wts[j] / wts[i])
            lu[i, i] += ghinv
        stats[NLU] += 1
        if not lu_factor(lu, piv):
            singular += 1
            if singular > MAX_SINGULAR:
                status = SINGULAR
                break
            h *= 0.5
            continue
        singular = 0
        attempts += 1
        for s in range(STAGES):
            if s == 0:
                for i in range(n):
                    k_st[0, i] = f0[i]
            else:
                for i in range(n):
                    acc = y[i]
                    for j in range(s):
                        acc += A[s, j] * k_st[j, i]
                    ytmp[i] = acc
                rhs(t + ALPHA[s] * h, ytmp, p, u, k_st[s])
                stats[NFEV] += 1
                for i in range(n):
                    acc = k_st[s, i]
                    for j in range(s):
                        acc += (C[s, j] / h) * k_st[j, i]
                    k_st[s, i] = acc
            if not autonomous and GAMMA[s] != 0.0:
                for i in range(n):
                    k_st[s, i] += h * GAMMA[s] * dfdt[i]
            for i in range(n):
                k_st[s, i] /= wts[i]
            lu_solve(lu, piv, k_st[s])
            for i in range(n):
                k_st[s, i] *= wts[i]
        err = 0.0
        for i in range(n):
            acc = y[i]
            for s in range(STAGES):
                acc += M[s] * k_st[s, i]
            ynew[i] = acc
            sc = atol + rtol * max(abs(y[i]), abs(acc))
            err += (k_st[STAGES - 1, i] / sc) ** 2
        err = math.sqrt(err / n)
        if not math.isfinite(err):
            stats[NREJECT] += 1
            h *= 0.25
            reject_last = True
            status = NON_FINITE
            continue
        status = OK
        err = max(err, 1e-10)
        fac = min(FAC_MAX, max(FAC_MIN, FAC_SAFE / err ** (1.0 / ORDER_ESTIMATE)))
        hnew = h * fac
        if err <= 1.0:
            t_new = t1 if last else t + h
            rhs(t_new, ynew, p, u, f1)
            stats[NFEV] += 1
            while rows < n_out and tout[rows] <= t_new:
                th = (tout[rows] - t) / h
                h00 = (1.0 + 2.0 * th) * (1.0 - th) ** 2
                h10 = th * (1.0 - th) ** 2
                h01 = th * th * (3.0 - 2.0 * th)
                h11 = th * th * (th - 1.0)
                for i in range(n):
                    ytmp[i] = h00 * y[i] + h01 * ynew[i] + h * (h10 * f0[i] + h11 * f1[i])
                _write_row(obs, out, rows, tout[rows], ytmp, p, clip, obuf)
                rows += 1
            for i in range(n):
                y[i] = ynew[i]
                f0[i] = f1[i]
            t = t_new
            if reject_last:
                hnew = min(hnew, h)
            reject_last = False
            reject_more = False
            fresh_jac = False
            h = hnew
            stats[NACCEPT] += 1
        else:
            if reject_more:
                hnew = h * FAC_REJECT
            reject_more = reject_last
            reject_last = True
            h = hnew
            stats[NREJECT] += 1
    return status, t, rows
