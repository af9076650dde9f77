"""Rodas5P: a stiffly accurate, L-stable Rosenbrock method of order 5 (embedded order 4), in numba.

Why not LSODA: SciPy's ``odeint`` calls the model through Python at every right-hand-side
evaluation and builds its Jacobian from n extra evaluations; for the 13-species model that
crossing costs more than the arithmetic. Here the whole step loop — stages, the model's analytic
sparse Jacobian where codegen generated one (sim/jacobian.py), else a forward-difference
Jacobian of the compiled RHS (increments as in ODEPACK, scaled by each species' error weight:
cells near 1e9 and concentrations near 1 in one state need different ones; RODAS's default
sqrt(eps · |y_j|) gave a Jacobian poor enough to triple the steps), a sparse LU of the stage
matrix in error-weighted variables (static pivot order chosen once per model; a pivot that fails
the threshold test sends that step to a dense LU with partial pivoting), step-size control and
dense output — runs as machine code; one call integrates one segment. A Rosenbrock step solves
linear systems only (no Newton iteration that can fail to converge) and suits small stiff
systems at the tolerances used here (Hairer & Wanner 1996, §IV.7).

Why Rodas5P rather than RODAS4: a Rosenbrock step needs a fresh Jacobian (12 RHS evaluations
for the qsp model by finite differences) whatever its stage count, so fewer, longer steps pay:
on the default scenario over a year at rtol 1e-6 it takes about 107 steps instead of RODAS4's
214 (2,150 instead of 3,850 RHS evaluations) with the same error at the step ends. Its
4th-order dense output keeps daily output rows as accurate as the steps (the cubic Hermite
interpolant RODAS4 used was 50-100x worse across the longer steps).

Coefficients: Steinebach 2023, BIT Numer Math 63:27 (Rodas5P), as tabulated in OrdinaryDiffEq.jl
(``Rodas5PTableau``, MIT), in the form of Sandu et al. 1997 Atmos Environ 31:3459 (KPP): stage i
solves ((hγ)⁻¹I − J) K_i = f(t + α_i h, y + Σ a_ij K_j) + Σ (c_ij / h) K_j + h γ_i ∂f/∂t;
y_new = y + Σ m_i K_i; error = K_8. Output times inside a step are interpolated with the method's
dense output y(θ) = (1 − θ) y + θ (y_new + (1 − θ)(D_1 + θ (D_2 + θ D_3))), D_r = Σ_i h_ri K_i.
"""

from __future__ import annotations

import math

import numba
import numpy as np

STAGES = 8
GAMMA_0 = 0.21193756319429014
#: γ_i (the ∂f/∂t weights; d_i in OrdinaryDiffEq) and α_i (stage times)
GAMMA = np.array([GAMMA_0, -0.42387512638858027, -0.3384627126235924, 1.8046452872882734])
GAMMA = np.concatenate([GAMMA, [2.325825639765069, 0.0, 0.0, 0.0]])
ALPHA = np.array([0.0, 0.6358126895828704, 0.4095798393397535, 0.9769306725060716])
ALPHA = np.concatenate([ALPHA, [0.4288403609558664, 1.0, 1.0, 1.0]])
_A = (
    (3.0,),
    (2.849394379747939, 0.45842242204463923),
    (-6.954028509809101, 2.489845061869568, -10.358996098473584),
    (2.8029986275628964, 0.5072464736228206, -0.3988312541770524, -0.04721187230404641),
    (
        -7.502846399306121,
        2.561846144803919,
        -11.627539656261098,
        -0.18268767659942256,
        0.030198172008377946,
    ),
)
_C = (
    (-14.155112264123755,),
    (-17.97296035885952, -2.859693295451294),
    (147.12150275711716, -1.41221402718213, 71.68940251302358),
    (165.43517024871676, -0.4592823456491126, 42.90938336958603, -5.961986721573306),
    (
        24.854864614690072,
        -3.0009227002832186,
        47.4931110020768,
        5.5814197821558125,
        -0.6610691825249471,
    ),
    (
        30.91273214028599,
        -3.1208243349937974,
        77.79954646070892,
        34.28646028294783,
        -19.097331116725623,
        -28.087943162872662,
    ),
    (
        37.80277123390563,
        -3.2571969029072276,
        112.26918849496327,
        66.9347231244047,
        -40.06618937091002,
        -54.66780262877968,
        -9.48861652309627,
    ),
)
#: dense output: D_r = Σ_i H[r, i] K_i (h2i, h3i, h4i in OrdinaryDiffEq)
H = np.array(
    [
        [
            25.948786856663858,
            -2.5579724845846235,
            10.433815404888879,
            -2.3679251022685204,
            0.524948541321073,
            1.1241088310450404,
            0.4272876194431874,
            -0.17202221070155493,
        ],
        [
            -9.91568850695171,
            -0.9689944594115154,
            3.0438037242978453,
            -24.495224566215796,
            20.176138334709044,
            15.98066361424651,
            -6.789040303419874,
            -6.710236069923372,
        ],
        [
            11.419903575922262,
            2.8879645146136994,
            72.92137995996029,
            80.12511834622643,
            -52.072871366152654,
            -59.78993625266729,
            -0.15582684282751913,
            4.883087185713722,
        ],
    ]
)


def _lower(rows: tuple[tuple[float, ...], ...]) -> np.ndarray:
    """Rows of a strictly lower triangle (row i + 1 holds i + 1 entries) as an 8 x 8 matrix."""
    out = np.zeros((STAGES, STAGES))
    for i, row in enumerate(rows):
        out[i + 1, : len(row)] = row
    return out


# stages 7 and 8 are evaluated at y + Σ a_6j K_j + K_6 (+ K_7); y_new adds K_8 (stiffly accurate)
A = _lower((*_A, (*_A[4], 1.0), (*_A[4], 1.0, 1.0)))
C = _lower(_C)
M = np.array([*_A[4], 1.0, 1.0, 1.0])
ORDER_ESTIMATE = 5.0  # min(order, embedded order) + 1
FAC_MIN, FAC_MAX, FAC_SAFE, FAC_REJECT = 0.2, 6.0, 0.9, 0.1
MAX_SINGULAR = 5

# status codes returned by integrate()
OK, TOO_MANY_STEPS, STEP_TOO_SMALL, SINGULAR, NON_FINITE = 0, 1, 2, 3, 4
# counters written into the stats array
NFEV, NJEV, NLU, NACCEPT, NREJECT, NDENSE = 0, 1, 2, 3, 4, 5
N_STATS = 6


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


#: a static pivot is kept while |pivot| >= PIVOT_TOL x the largest entry below it in its column
#: (threshold partial pivoting, as UMFPACK's default 0.1); a smaller one sends the step's
#: matrix to the dense LU with partial pivoting
PIVOT_TOL = 0.1


def lu_structure(
    n: int, rows: np.ndarray, rptr: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Symbolic LU of the stage matrix (the Jacobian's pattern plus the diagonal), once per
    model: a diagonal pivot order chosen greedily by Markowitz cost (fewest updates first,
    as sparse direct solvers order a matrix before factorising it), the fill-in it causes, and
    the factor's pattern in the layout of :func:`integrate`'s ``lu_*`` arguments.

    ``rows[rptr[j]:rptr[j + 1]]`` are the rows of column j's nonzeros. Returns (order, lptr,
    lrows, uptr, ucols): pivot k is ``order[k]``; ``lrows[lptr[k]:lptr[k + 1]]`` are the rows
    it eliminates, ``ucols[uptr[k]:uptr[k + 1]]`` the columns of its row in U (qsp model: 16
    species, 104 nonzeros, no fill-in, 169 multiply-adds instead of 1,360 for a dense LU).
    """
    pat = np.eye(n, dtype=bool)
    for j in range(n):
        pat[rows[rptr[j] : rptr[j + 1]], j] = True
    left = list(range(n))
    order: list[int] = []
    lists: list[tuple[list[int], list[int]]] = []
    while left:
        rest = np.array(left)
        cost = [(int(pat[k, rest].sum()) - 1) * (int(pat[rest, k].sum()) - 1) for k in left]
        k = left.pop(int(np.argmin(cost)))  # ties: the lowest index, so the order is stable
        lower = [i for i in left if pat[i, k]]
        upper = [j for j in left if pat[k, j]]
        for i in lower:
            pat[i, upper] = True  # fill-in
        order.append(k)
        lists.append((lower, upper))

    def csr(parts: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        ptr = np.cumsum([0, *(len(x) for x in parts)]).astype(np.int64)
        return ptr, np.array([v for x in parts for v in x], dtype=np.int64)

    lptr, lrows = csr([lo for lo, _ in lists])
    uptr, ucols = csr([up for _, up in lists])
    return np.array(order, dtype=np.int64), lptr, lrows, uptr, ucols


@numba.njit(cache=True)
def sparse_lu_factor(a, order, lptr, lrows, uptr, ucols, dinv):
    """In-place LU of ``a`` (dense storage) on the static pattern of :func:`lu_structure`,
    with the inverse pivots in ``dinv``; False when a pivot is not finite or fails the
    threshold test (then the caller factorises with partial pivoting)."""
    for k in range(order.shape[0]):
        c = order[k]
        d = a[c, c]
        big = 0.0
        for q in range(lptr[k], lptr[k + 1]):
            big = max(big, abs(a[lrows[q], c]))
        if not (abs(d) >= PIVOT_TOL * big and abs(d) > 0.0 and math.isfinite(d)):
            return False
        inv = 1.0 / d
        dinv[c] = inv
        for q in range(lptr[k], lptr[k + 1]):
            i = lrows[q]
            f = a[i, c] * inv
            a[i, c] = f
            if f != 0.0:
                for w in range(uptr[k], uptr[k + 1]):
                    j = ucols[w]
                    a[i, j] -= f * a[c, j]
    return True


@numba.njit(cache=True)
def sparse_lu_solve(a, order, lptr, lrows, uptr, ucols, dinv, b):
    """Solve a x = b in place with the factors of :func:`sparse_lu_factor`."""
    n = order.shape[0]
    for k in range(n):
        c = order[k]
        bc = b[c]
        if bc != 0.0:
            for q in range(lptr[k], lptr[k + 1]):
                i = lrows[q]
                b[i] -= a[i, c] * bc
    for k in range(n - 1, -1, -1):
        c = order[k]
        s = b[c]
        for w in range(uptr[k], uptr[k + 1]):
            j = ucols[w]
            s -= a[c, j] * b[j]
        b[c] = s * dinv[c]


@numba.njit(cache=True)
def _stage_matrix(lu, jmat, jac_rows, jac_rptr, wts, winv, ghinv):
    """(hγ)⁻¹ I − J in error-weighted variables (entries off the Jacobian's pattern are 0)."""
    n = wts.shape[0]
    for i in range(n):
        for j in range(n):
            lu[i, j] = 0.0
    for j in range(n):
        for q in range(jac_rptr[j], jac_rptr[j + 1]):
            i = jac_rows[q]
            lu[i, j] = -jmat[i, j] * (wts[j] * winv[i])
    for i in range(n):
        lu[i, i] += ghinv


@numba.njit(cache=True)
def _pattern_matrix(lu, jmat, jac_rows, jac_rptr, wts, winv, ghinv):
    """The stage matrix where the sparse LU reads it (here: everywhere; the integrator bound to
    a model by :mod:`senotwin.sim.codegen` sets only the factors' pattern, in straight-line code
    doing the same operations)."""
    _stage_matrix(lu, jmat, jac_rows, jac_rptr, wts, winv, ghinv)


@numba.njit(error_model="numpy")
def _write_row(obs, out, k, t, y, p, clip, obuf):
    n = y.shape[0]
    for i in range(n):
        out[k, i] = max(y[i], 0.0) if clip[i] else y[i]
    obs(t, y, p, obuf)
    for j in range(obuf.shape[0]):
        out[k, n + j] = obuf[j]


@numba.njit(cache=True)
def no_jacobian(t, y, p, u, jmat):
    """The Jacobian callback of a model without a generated one: finite differences instead."""
    return False


@numba.njit(error_model="numpy")
def start_finite(rhs, obs, t, y, p, u, n_obs):
    """True when the right-hand side and every observable are finite at (t, y): the start
    check of a run in one compiled call (a False sends the caller to the check that names the
    quantity)."""
    dy = np.empty(y.shape[0])
    obuf = np.empty(n_obs)
    rhs(t, y, p, u, dy)
    obs(t, y, p, obuf)
    for i in range(dy.shape[0]):
        if not math.isfinite(dy[i]):
            return False
    for j in range(n_obs):  # noqa: SIM110 (a loop numba compiles)
        if not math.isfinite(obuf[j]):
            return False
    return True


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
    jac,
    jac_cols,
    jac_ptr,
    jac_rows,
    jac_rptr,
    lu_order,
    lu_lptr,
    lu_lrows,
    lu_uptr,
    lu_ucols,
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
    dense_d = np.empty((3, n))
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
    dinv = np.empty(n)
    wts = np.empty(n)
    winv = np.empty(n)
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
            # the model's generated Jacobian where it has one and every entry is finite
            exact = jac(t, y, p, u, jmat)
            if exact:
                for j in range(n):
                    for q in range(jac_rptr[j], jac_rptr[j + 1]):
                        if not math.isfinite(jmat[jac_rows[q], j]):
                            exact = False
            if not exact:
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
                        dlt[j] = max(
                            1.4901161193847656e-08 * abs(y_j), r0 * (atol + rtol * abs(y_j))
                        )
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
        ghinv = 1.0 / (h * GAMMA_0)
        # the stage systems are solved in error-weighted variables K / w (w = each species'
        # error weight): pivoting on the raw matrix let a cell-count row (entries ~1e9) pivot
        # for a species that is exactly 0 and leave rounding (~1e-17) in it, which couplings
        # to cell counts then grew into phantom cells (1e-7 senescent cells without senescence)
        for i in range(n):
            wts[i] = atol + rtol * abs(y[i])
            winv[i] = 1.0 / wts[i]
        _pattern_matrix(lu, jmat, jac_rows, jac_rptr, wts, winv, ghinv)
        stats[NLU] += 1
        # the static sparse LU first; a pivot it cannot keep -> dense LU, partial pivoting
        dense = not sparse_lu_factor(lu, lu_order, lu_lptr, lu_lrows, lu_uptr, lu_ucols, dinv)
        if dense:
            stats[NDENSE] += 1
            _stage_matrix(lu, jmat, jac_rows, jac_rptr, wts, winv, ghinv)
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
                # sums over earlier stages, stage by stage (contiguous rows, same order of
                # additions per species as a per-species sum over stages)
                for i in range(n):
                    ytmp[i] = y[i]
                for j in range(s):
                    a_sj = A[s, j]
                    for i in range(n):
                        ytmp[i] += a_sj * k_st[j, i]
                rhs(t + ALPHA[s] * h, ytmp, p, u, k_st[s])
                stats[NFEV] += 1
                for j in range(s):
                    c_sj = C[s, j] / h
                    for i in range(n):
                        k_st[s, i] += c_sj * k_st[j, i]
            if not autonomous and GAMMA[s] != 0.0:
                for i in range(n):
                    k_st[s, i] += h * GAMMA[s] * dfdt[i]
            for i in range(n):
                k_st[s, i] *= winv[i]
            if dense:
                lu_solve(lu, piv, k_st[s])
            else:
                sparse_lu_solve(lu, lu_order, lu_lptr, lu_lrows, lu_uptr, lu_ucols, dinv, k_st[s])
            for i in range(n):
                k_st[s, i] *= wts[i]
        for i in range(n):
            ynew[i] = y[i]
        for s in range(STAGES):
            m_s = M[s]
            for i in range(n):
                ynew[i] += m_s * k_st[s, i]
        err = 0.0
        for i in range(n):
            sc = atol + rtol * max(abs(y[i]), abs(ynew[i]))
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
            if rows < n_out and tout[rows] <= t_new:
                for r in range(3):
                    for i in range(n):
                        dense_d[r, i] = 0.0
                    for s in range(STAGES):
                        h_rs = H[r, s]
                        for i in range(n):
                            dense_d[r, i] += h_rs * k_st[s, i]
            while rows < n_out and tout[rows] <= t_new:
                th = (tout[rows] - t) / h
                th1 = 1.0 - th
                for i in range(n):
                    inner = dense_d[0, i] + th * (dense_d[1, i] + th * dense_d[2, i])
                    ytmp[i] = th1 * y[i] + th * (ynew[i] + th1 * inner)
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
