"""What the model says about a senescent-cell vaccine site alone (docs/validation.md, session 20
coinj): not a validation case -- the model has one lesion compartment, so an immunisation at a
site other than the lesion that is read (Marin 2023, Meng 2012) cannot be set as a scenario.

The vaccine site is run by itself in the implantation state (``qsp.mouse_initial(0)``: no
cancer cells and no lesion-resident cells), young melanoma context without an inducer,
CD8 T cells on, holding N cancer-origin late senescent cells (``Sl`` = ``Scl`` = N: cells made
senescent in vitro carry an established SASP) or N dead cancer cells (``D`` = N: cells
undergoing immunogenic cell death, the comparison of Marin 2023's abstract). Prints the
node's mature DCs, blood effector CD8 T cells and the cells left at the site on days 7 and 14,
and the senescent / ICD ratio, for N over a grid (none of which is the papers' dose: not read).

    python scripts/vaccine_site_diagnosis.py
"""

from __future__ import annotations

from senotwin.model.qsp import context, load_qsp, mouse_initial
from senotwin.sim import SolverOptions, simulate

DOSES = (1.0e5, 1.0e6, 1.0e7)
DAYS = (7.0, 14.0)


def run(vaccine: dict[str, float]) -> dict[str, list[float]]:
    """mDC, T8b and the site's cells (senescent + dead) on DAYS for one vaccine."""
    sc = context(tissue="melanoma", age="young", inducer="none")
    # one stromal senescent cell in both arms keeps the per-target rates defined (the model's
    # kill and cytokine terms divide by the live cells of the site); negligible against N
    initial = mouse_initial(0.0) | {"Se": 1.0} | vaccine
    res = simulate(
        load_qsp(),
        params=dict(sc.params),
        initial=initial,
        t_end=max(DAYS),
        solver=SolverOptions(engine="fast", rtol=1e-8, atol=1e-8, t_eval=DAYS),
        check_ranges=False,
        throw=True,
    )
    t = res.table
    return {
        "mDC": t["mDC"].tolist(),
        "T8b": t["T8b"].tolist(),
        "site": (t["Se"] + t["Sl"] + t["Sd"] + t["D"]).tolist(),
    }


def main() -> None:
    for n in DOSES:
        sen = run({"Sl": n, "Scl": n})
        icd = run({"D": n})
        for i, d in enumerate(DAYS):
            print(
                f"N {n:.0e} day {d:g}: senescent mDC {sen['mDC'][i]:.3g} T8b {sen['T8b'][i]:.3g} "
                f"site {sen['site'][i]:.3g} | ICD mDC {icd['mDC'][i]:.3g} T8b {icd['T8b'][i]:.3g} "
                f"| ratio mDC {sen['mDC'][i] / icd['mDC'][i]:.2f} "
                f"T8b {sen['T8b'][i] / icd['T8b'][i]:.2f}"
            )


if __name__ == "__main__":
    main()
