"""Calibration in the report: waterfall of the starts, fits over the data (held-back points
marked), profile likelihoods and the parameter table with the identifiable set.

Builders draw results computed by :mod:`senotwin.calibrate`; they never simulate.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure as MplFigure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from senotwin.calibrate.fit import FitResult, GoodnessOfFit
from senotwin.calibrate.problem import Problem
from senotwin.calibrate.profile import THRESHOLD_95, Profile
from senotwin.report.figures import figure_bytes, new_figure
from senotwin.report.section import Figure, Section, Stat, Table


def waterfall_figure(fit: FitResult) -> MplFigure:
    """Final objective of every start, sorted (the plateau at the left = the global optimum
    found repeatedly)."""
    fig = new_figure(5.0, 3.2)
    ax = fig.add_subplot()
    w = fit.waterfall()
    ok = np.isfinite(w)
    ax.plot(np.arange(1, w.size + 1)[ok], w[ok] - fit.nllh + 1.0, "o-", ms=3)
    ax.set_yscale("log")
    lo, hi = ax.get_ylim()  # starts within a hair of one optimum: every tick read 1x10^0
    ax.set_ylim(min(lo, 0.8), max(hi, 10.0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # starts are counted, not measured
    ax.set_xlabel("start (sorted)")
    ax.set_ylabel("nllh - best + 1 (log scale)")  # the log axis said so nowhere (audit s51)
    ax.set_title(f"{fit.problem}: {fit.converged}/{w.size} starts reach the best fit")
    return fig


#: characters per line of a fit panel's y label (a panel is about 4 inches tall)
YLABEL_WIDTH = 38


#: one colour per role in every fits panel (the figure has one key; by draw order, a panel of
#: held-back data alone drew them in the fitted data's colour)
ROLE_COLOURS = {"fitted": "C0", "held back": "C1", "model": "C2"}


def fits_figure(problem: Problem, curves: pd.DataFrame) -> MplFigure:
    """One panel per observable and condition: fitted data (dots), held-back data (crosses,
    predicted, not fitted) and the best-fit curve (log axis for log-normal observables)."""
    tables = [
        (label, table, marker)
        for label, table, marker in (
            ("fitted", problem.measurements, "o"),
            ("held back", problem.held_back, "x"),
        )
        if table is not None and len(table)
    ]
    panels: list[tuple[str, str]] = []
    for _, table, _ in tables:
        for key in zip(table["observableId"], table["simulationConditionId"], strict=True):
            if (str(key[0]), str(key[1])) not in panels:
                panels.append((str(key[0]), str(key[1])))
    single = len({c for _, c in panels}) == 1
    scale = {o.id: o.transformation for o in problem.observables}
    names = {o.id: o.name for o in problem.observables if o.name}
    limits = {o.id for o in problem.observables if o.limit == "upper"}
    n = max(len(panels), 1)
    cols = min(n, 3)
    fig = new_figure(4.0 * cols, 3.0 * math.ceil(n / cols))
    for k, (oid, cid) in enumerate(panels):
        ax = fig.add_subplot(math.ceil(n / cols), cols, k + 1)
        roles = []
        for label, table, marker in tables:
            sel = table[(table["observableId"] == oid) & (table["simulationConditionId"] == cid)]
            if len(sel):
                roles.append(label)
                if oid in limits:  # a ceiling, not a value
                    marker, label = "v", f"{label} (ceiling)"
                colour = ROLE_COLOURS[roles[-1]]
                ax.plot(sel["time"], sel["measurement"], marker, ms=4, ls="none", label=label,
                        color=colour)  # fmt: skip
        sel = curves[(curves["observable"] == oid) & (curves["condition"] == cid)]
        ax.plot(sel["time"], sel["value"], "-", lw=1.5, label="model", color=ROLE_COLOURS["model"])
        log = scale.get(oid, "lin") != "lin"
        if log:
            ax.set_yscale("log")
        ax.set_title(oid if single else f"{oid}: {cid} ({', '.join(roles)})", fontsize=9)
        ax.set_xlabel("day")
        # long names ('tumour-specific CD8 T cells per lesion, at most ...') ran past the
        # panel and into the next one, cut at the figure's edge: wrapped (audit s43)
        # a log axis said so nowhere (audit s51)
        what = names.get(oid, oid) + (", log scale" if log else "")
        ax.set_ylabel(textwrap.fill(what, YLABEL_WIDTH), fontsize=8)
    # one key for the figure: the first panel's legend left out the ceilings and the held-back
    # crosses drawn only in later panels (audit s51)
    shown: dict[str, Artist] = {}
    for ax in fig.axes:
        handles, labels = ax.get_legend_handles_labels()
        for handle, label in zip(handles, labels, strict=True):
            shown.setdefault(label, handle)
    if shown:
        fig.legend(list(shown.values()), list(shown), loc="outside lower center", ncol=len(shown),
                   fontsize=8, frameon=False)  # fmt: skip
    fig.suptitle(f"{problem.name}: best fit over the data")
    return fig


def profiles_figure(
    profiles: Sequence[Profile], best_nllh: float, problem: Problem | None = None
) -> MplFigure:
    """Profile likelihood of each parameter with the 95% threshold; with ``problem``, each x axis
    names its parameter with the unit and the figure names the data set (the x axes were bare
    numbers and nothing said what the lines were; audit s51)."""
    names = {} if problem is None else {p.id: p.name for p in problem.parameters if p.name}
    n = max(len(profiles), 1)
    cols = min(n, 3)
    fig = new_figure(3.6 * cols, 2.8 * math.ceil(n / cols) + 0.4)
    for k, pr in enumerate(profiles):
        ax = fig.add_subplot(math.ceil(n / cols), cols, k + 1)
        ax.plot(pr.values, np.array(pr.nllh) - best_nllh, "o-", ms=3, label="profile")
        ax.axhline(
            THRESHOLD_95, color="grey", ls="--", lw=1, label=f"95% threshold ({THRESHOLD_95:.2f})"
        )
        ax.axvline(pr.best, color="black", lw=0.8, label="best fit")
        log = min(pr.values) > 0 and max(pr.values) / min(pr.values) > 10
        if log:
            ax.set_xscale("log")
            # minor ticks labelled within one decade ran into each other (3x10^-5 4x10^-5 ...)
            ax.xaxis.set_minor_formatter(NullFormatter())
        else:  # each tick its own number: a linear axis of ~1e-8 values drew a separate '1e-8'
            # offset in the corner, over the wrapped x label (mariathasan2018's cd8_scale)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
        ax.set_ylim(-0.2, max(3 * THRESHOLD_95, 1.0))
        flag = "" if pr.identifiable else " (non-identifiable)"
        ax.set_title(pr.parameter + flag, fontsize=9)
        what = textwrap.fill(names.get(pr.parameter, "value"), XLABEL_WIDTH)
        ax.set_xlabel(what + (", log scale" if log else ""), fontsize=8)
        ax.set_ylabel("Δ nllh from the best fit")
        if k == 0:
            ax.legend(fontsize=7)
    if problem is not None:
        fig.suptitle(f"{problem.name}: profile likelihood of each fitted parameter")
    return fig


#: characters per line of a profile panel's x label (a panel is about 3.6 inches wide)
XLABEL_WIDTH = 45


def parameter_rows(fit: FitResult, profiles: Sequence[Profile], problem: Problem) -> list[dict]:
    """One record per fitted parameter: best, bounds, 95% profile interval, identifiable."""
    by_id = {p.parameter: p for p in profiles}
    out = []
    for pid in fit.parameter_ids:
        fp = problem.parameter(pid)
        pr = by_id.get(pid)
        out.append(
            {
                "parameter": pid,
                "best": fit.best[pid],
                "lower_bound": fp.lower,
                "upper_bound": fp.upper,
                "ci_low": None if pr is None else pr.ci_low,
                "ci_high": None if pr is None else pr.ci_high,
                "identifiable": None if pr is None else pr.identifiable,
            }
        )
    return out


def _g(value: float | None) -> str:
    return "open" if value is None else f"{value:.3g}"


def calibration_section(
    problem: Problem, fit: FitResult, profiles: Sequence[Profile], curves: pd.DataFrame
) -> Section:
    """The report section of one calibrated data set."""
    rows = parameter_rows(fit, profiles, problem)
    ident = [r["parameter"] for r in rows if r["identifiable"]]
    figures = [
        Figure(
            f"calibration_{problem.name}_waterfall.png",
            figure_bytes(waterfall_figure(fit)),
            "Waterfall: final negative log-likelihood of every start, sorted.",
        ),
        Figure(
            f"calibration_{problem.name}_fits.png",
            figure_bytes(fits_figure(problem, curves)),
            "Best fit over the data; crosses are held back (predicted, not fitted).",
        ),
    ]
    if profiles:
        figures.append(
            Figure(
                f"calibration_{problem.name}_profiles.png",
                figure_bytes(profiles_figure(profiles, fit.nllh, problem)),
                "Profile likelihoods; dashed: 95% threshold (chi2 1 dof / 2 = 1.92).",
            )
        )
    gof = [(g.dataset, g.n, f"{g.chi2:.1f}", f"{g.nllh:.1f}", "fitted") for g in fit.goodness]
    if fit.held_back is not None:
        gof.append(_held_row(fit.held_back, fit.held_back.dataset))
    if len(fit.held_back_by_dataset) > 1:
        gof += [_held_row(g, f"held back: {g.dataset}") for g in fit.held_back_by_dataset]
    if len(fit.held_back_by_observable) > 1:
        gof += [
            _held_row(g, f"held back, observable {g.dataset}") for g in fit.held_back_by_observable
        ]
    return Section(
        title=f"Calibration: {problem.name}",
        intro=f"{problem.description}. Source: {problem.reference}.",
        stats=(
            Stat("starts", str(len(fit.starts))),
            Stat("at best fit", str(fit.converged)),
            Stat("AIC", f"{fit.aic:.1f}"),
            Stat("identifiable", f"{len(ident)}/{len(rows)}"),
        ),
        figures=tuple(figures),
        tables=(
            Table.of(
                ["parameter", "best", "bounds", "95% profile CI", "identifiable"],
                [
                    (
                        r["parameter"],
                        f"{r['best']:.4g}",
                        f"[{r['lower_bound']:.3g}, {r['upper_bound']:.3g}]",
                        f"{_g(r['ci_low'])} - {_g(r['ci_high'])}",
                        {True: "yes", False: "no", None: "not profiled"}[r["identifiable"]],
                    )
                    for r in rows
                ],
                caption="Fitted parameters",
            ),
            Table.of(["data", "n", "chi2", "nllh", "verdict"], gof, caption="Goodness of fit"),
        ),
        notes=(
            "Identifiable set: " + (", ".join(ident) if ident else "none"),
            "Fisher information eigenvalues at the optimum: "
            + ", ".join(f"{e:.3g}" for e in fit.fim_eigenvalues),
        ),
    )


def shipped_calibration_section() -> Section:
    """The demo report's calibration section: every registered problem's shipped fit result
    (``calibrate/data/<name>/fit_result.json``, written by ``scripts/calibration_results.py``),
    drawn without refitting; a result older than its problem is flagged stale."""
    from senotwin.calibrate.problems import PROBLEMS, get_problem, problem_names
    from senotwin.calibrate.shipped import load_shipped_fit

    figures: list[Figure] = []
    tables: list[Table] = []
    notes: list[str] = []
    stats: list[Stat] = []
    missing: list[str] = []
    cohorts: list[str] = []
    for name in problem_names():
        if PROBLEMS.get(name).fit is not None:
            cohorts.append(name)  # a simulated-cohort problem (no PEtab form): docs/calibration.md
            continue
        problem = get_problem(name)
        shipped = load_shipped_fit(problem, verify=True)
        if shipped is None:
            missing.append(name)
            continue
        one = calibration_section(problem, shipped.fit, shipped.profiles, shipped.curves)
        figures += one.figures
        tables += [
            Table(t.columns, t.rows, f"{name}: {t.caption}", t.highlight) for t in one.tables
        ]
        design = shipped.design
        run = f"{design.get('command', '')} ({design.get('date', '')})".strip()
        notes += [f"{name}: {n}" for n in one.notes]
        notes.append(f"{name}: fitted by `{run}`; {problem.reference}")
        if shipped.current and not shipped.fingerprint_matches:
            notes.append(
                f"{name}: the problem changed since this fit (fingerprint), but its stored "
                f"optimum still gives nllh {shipped.nllh_now:.2f} (stored {shipped.fit.nllh:.2f}): "
                "the change does not touch what the data see"
            )
        if not shipped.current:
            notes.append(
                f"{name}: STALE: the problem changed since this fit; regenerate it with "
                f"`python scripts/calibration_results.py --problem {name}`"
            )
        rows = parameter_rows(shipped.fit, shipped.profiles, problem)
        ident = sum(1 for r in rows if r["identifiable"])
        held = shipped.fit.held_back_rmse
        stats += [
            Stat(f"{name}: at best fit", f"{shipped.fit.converged}/{len(shipped.fit.starts)}"),
            Stat(f"{name}: identifiable", f"{ident}/{len(rows)}"),
        ]
        if held is not None:
            stats.append(
                Stat(f"{name}: held-back RMSE (pooled, in the data's units)", f"{held:.3g}")
            )
    if missing:
        notes.append(
            "No shipped fit yet (`python scripts/calibration_results.py --problem NAME`): "
            + ", ".join(missing)
        )
    if cohorts:  # the intro's 'each shipped data set' left them out without a word
        notes.append(
            f"Not drawn here: {', '.join(cohorts)}, fitted on simulated virtual cohorts (no "
            "PEtab form; `senotwin calibrate --problem NAME --cohorts K` refits one; "
            "docs/calibration.md)"
        )
    return Section(
        title="Calibration to data",
        intro=(
            "Each shipped data set with a PEtab form fitted by multi-start least squares "
            "(log10 parameters), with "
            "profile likelihoods (95% intervals; a side left open flags a practically "
            "non-identifiable parameter) and the prediction of the part held back before "
            "fitting. Drawn from the stored results, not refitted here."
        ),
        stats=tuple(stats),
        figures=tuple(figures),
        tables=tuple(tables),
        notes=tuple(notes),
    )


def _held_row(g: GoodnessOfFit, label: str) -> tuple[str, int, str, str, str]:
    """A held-back row of the goodness table with its verdict: predicted unless the chi2's
    upper-tail p (with the fitted noise) is below 0.01 -- a fit's miss said, not hidden."""
    verdict = "predicted" if g.predicted() else "NOT PREDICTED"
    return (label, g.n, f"{g.chi2:.1f}", f"{g.nllh:.1f}", f"{verdict} (chi2 p {g.chi2_p():.2g})")
