"""liu2019 objective along one shared model parameter at a fixed population (no refit).

Usage: python scripts/ici_shared_scan.py PARAM V1 V2 ... [--n 60] [--seed 0]
Population: the shipped liu2019 fit's population values (its shared values too, unless PARAM
is one of them). Prints, per value: nllh, ORR (CR count), responders by CD8 tertile and PFS at
3 / 6 / 12 months, so a structural change can be judged against the stored fit before a refit.
"""

from __future__ import annotations

import argparse

from senotwin.trial.ici_fit import IciObjective, goodness, stored_fit, survival_at


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("param")
    ap.add_argument("values", nargs="+", type=float)
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    stored = {p["parameter"]: p["best"] for p in stored_fit()["parameters"]}
    stored = {k: v for k, v in stored.items() if not k.startswith(f"{a.param}.")}
    obj = IciObjective(n=a.n, seed=a.seed)
    print(f"{a.param:>10} | nllh | ORR (CR) | tertile responders | PFS 3 / 6 / 12 mo")
    for v in a.values:
        sim = obj.statistics({**stored, f"{a.param}.value": v})
        g = goodness(sim, obj.target)
        pfs = " / ".join(f"{survival_at(sim['pfs'], m):.2f}" for m in (3.0, 6.0, 12.0))
        ter = "/".join(str(t["responders"]) for t in sim["tertiles"])
        print(
            f"{v:>10.3g} | {g['nllh']:.2f} | {100 * sim['orr']:.1f} % ({sim['recist']['CR']}) "
            f"| {ter} | {pfs}"
        )


if __name__ == "__main__":
    main()
