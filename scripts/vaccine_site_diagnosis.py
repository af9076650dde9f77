"""How the vaccine cases' verdicts depend on the protocol the papers did not give
(docs/validation.md, Session 22 vacc): not a validation case, and nothing is chosen by it.

Marin 2023's and Meng 2012's doses, intervals, challenges and read-out days were not read; the
cases run the B16 protocol of Diefenbach 2001 Fig. 3d (5e6 cells, challenge 1e4 cells 10 days
later) read 21 days after the challenge. This prints, on the vaccine-site overlay (scenario
``mouse_vaccine``), each case's effect over a grid of those numbers: immunised vs unimmunised
and senescent vs ICD cells (lesion volume after the challenge), and the injection into
tumour-bearing mice (blood effector CD8 T cells after the injection).

    python scripts/vaccine_site_diagnosis.py
"""

from __future__ import annotations

import itertools

from senotwin.model.scenarios import get_scenario
from senotwin.model.spec import ModelSpec
from senotwin.model.vaccine import load_vaccine_qsp
from senotwin.sim import SolverOptions, simulate

DOSES = (1.0e5, 1.0e6, 5.0e6)
CHALLENGES = (1.0e4, 1.0e5, 4.42407e5)
READ_AFTER = (14.0, 21.0, 28.0)
INTERVALS = (7.0, 10.0, 14.0)
MENG_TUMOUR = 4.42407e5  # the model's fitted C57BL/6 (MC38) take, as in the Meng case


def with_interval(days: float) -> ModelSpec:
    """The overlay with its protocol-day event moved to ``days``."""
    spec = load_vaccine_qsp()
    events = tuple(
        e.model_copy(update={"at": days}) if e.id == "vaccine_protocol_day" else e
        for e in spec.events
    )
    return spec.model_copy(update={"events": events})


def run(spec: ModelSpec, params: dict[str, float], initial: dict[str, float], days: list[float]):
    """The lesion volume and blood effectors on ``days`` for one arm."""
    sc = get_scenario("mouse_vaccine")
    res = simulate(
        spec,
        params=dict(sc.params) | params,
        initial=dict(sc.initial) | initial,
        t_end=max(days),
        solver=SolverOptions(engine="fast", rtol=1e-6, atol=1e-6, t_eval=days),
        check_ranges=False,
        throw=True,
    )
    return res.table["V_T"].to_numpy(), res.table["T8b"].to_numpy()


def main() -> None:
    for interval in INTERVALS:
        spec = with_interval(interval)
        days = [0.0, *(interval + r for r in READ_AFTER)]
        for dose, challenge in itertools.product(DOSES, CHALLENGES):
            ch = {"n_challenge": challenge}
            none, _ = run(spec, ch, {}, days)
            sen, _ = run(spec, ch, {"Vs": dose}, days)
            icd, _ = run(spec, ch, {"Vd": dose}, days)
            _, t_none = run(spec, {}, {"C": MENG_TUMOUR}, days)
            _, t_inj = run(spec, {"n_vaccine_late": dose}, {"C": MENG_TUMOUR}, days)
            for i, r in enumerate(READ_AFTER, start=1):
                print(
                    f"interval {interval:g} d, dose {dose:.0e}, challenge {challenge:.1e}, "
                    f"read {r:g} d after: immunised vs none {100 * (sen[i] / none[i] - 1):+.1f} %, "
                    f"senescent vs ICD {100 * (sen[i] / icd[i] - 1):+.1f} %, "
                    f"Meng T8b {100 * (t_inj[i] / t_none[i] - 1):+.1f} %"
                )


if __name__ == "__main__":
    main()
