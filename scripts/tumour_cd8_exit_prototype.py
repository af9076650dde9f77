"""Tumour effector CD8 that leave once antigen is gone: a what-if (session 27 exit), no change.

In qsp.yaml tumour effector and exhausted CD8 (``T8``, ``T8r``, ``T8x``, ``T8t``) leave the
lesion only by death (``d_T8`` 0.01/day, ``d_T8x`` 0.02/day), so a cleared lesion keeps its CD8
for a year, and counting them in the measured size (``lesion_immune_volume_prototype.py``) loses
the liu2019 complete responses. The prototype adds, in memory only:

* ``k_out_T`` (ASSUMED, 0.5/day by default): the blood pool's measured decline after the peak
  (De Boer 2001, ``cd8_effector_contraction_lcmv_deboer2001``) transferred to tumour effectors
  that no longer meet antigen; no tumour exit rate was found (docs/quantitative-sources.yaml,
  session 27 egress not_found a-c), so this is a what-if, never an adoption candidate;
* for each X of ``T8``, ``T8r``, ``T8x``, ``T8t`` a loss ``k_out_T x (1 - C / (C + K_ag)) x X``,
  1 - the model's antigen presence (the relaxation target of the exhaustion drive ``Ex``), the
  sign of Steele 2023 (antigen keeps effectors in the tumour). The cells leave the model: in
  blood they would contract at 0.5/day anyway (``k_contract`` + ``d_T8``), and sending ``T8x`` /
  ``T8t`` to ``T8b`` would let them re-enter as fresh effectors, a recycling nobody measured.

``--rate 0`` gives runs equal to the shipped model's; ``--with-lesion`` stacks the lesion
read-out (``V_lesion``, ``diameter`` on it). Sub-commands (each prints its run time):

    python scripts/tumour_cd8_exit_prototype.py liu [--seeds 0 1 2] [--n 1000] [--with-lesion]
    python scripts/tumour_cd8_exit_prototype.py shares --with-lesion [--liu-n 12] [--day 84]
    python scripts/tumour_cd8_exit_prototype.py trial [--trial keynote189] [--n 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from senotwin.model import qsp
from senotwin.model.spec import ModelSpec
from senotwin.trial.ici_fit import IciObjective, shipped_start, start_vector

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cd8_contraction_prototype as contraction  # sibling scripts: loader patch, liu2019 nllh
import lesion_immune_volume_prototype as lesion

PARAMETER = "k_out_T"
RATE = 0.5  # 1/day, ASSUMED: De Boer 2001's blood contraction transferred to the tumour
TUMOUR_CD8 = lesion.TUMOUR_CD8  # T8, T8x, T8r, T8t
ABSENCE = "(1 - C / (C + K_ag))"  # 1 - antigen presence, the Ex relaxation target


def process_id(species: str) -> str:
    """The exit process of one tumour CD8 species."""
    return f"{species.lower()}_exit"


def exited(spec: ModelSpec, rate: float = RATE) -> ModelSpec:
    """``spec`` plus ``k_out_T`` and one antigen-gated exit per tumour CD8 species."""
    data = spec.model_dump()
    data["parameters"] = [
        *data["parameters"],
        {
            "id": PARAMETER,
            "name": "exit of tumour CD8 that no longer meet antigen (what-if)",
            "value": rate,
            "unit": "1/day",
            "range": [0.0, 1.0],
            "provenance": {
                "kind": "assumed",
                "rationale": "what-if transfer of the blood contraction, session 27 exit: "
                "0.5/day is the measured post-peak decline of specific CD8 in mouse spleen and "
                "blood after LCMV clearance (De Boer 2001); no tumour exit rate was found",
            },
        },
    ]
    data["processes"] = [
        *data["processes"],
        *(
            {
                "id": process_id(x),
                "expression": f"{PARAMETER} * {ABSENCE} * {x}",
                "stoichiometry": {x: -1},
                "description": "what-if (session 27 exit): tumour CD8 leave once antigen is gone",
            }
            for x in TUMOUR_CD8
        ),
    ]
    return ModelSpec.model_validate(data)


def transform(rate: float, with_lesion: bool) -> Callable[[ModelSpec], ModelSpec]:
    """The exit variant, with the lesion read-out stacked on it or not."""
    if with_lesion:
        return lambda spec: lesion.lesioned(exited(spec, rate))
    return lambda spec: exited(spec, rate)


def install(rate: float = RATE, with_lesion: bool = False) -> None:
    """Make this process's model loaders return the prototype."""
    contraction.patch_loaders(transform(rate, with_lesion))


def uninstall() -> None:
    """Back to the shipped model (tests)."""
    contraction.patch_loaders(None)


def recist(n: int, seed: int) -> dict[str, float]:
    """liu2019 best-response counts (expected over reads) at the shipped optimum."""
    obj = IciObjective(n=n, seed=seed)
    return dict(obj.statistics(obj.values(start_vector(shipped_start()[0])))["recist"])


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("liu", "shares", "trial"))
    ap.add_argument("--rate", type=float, default=RATE, help="k_out_T 1/day (assumed, 0-1)")
    ap.add_argument("--with-lesion", action="store_true", help="stack the lesion read-out")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="liu: cohort seeds")
    ap.add_argument("--recist", action="store_true", help="liu: CR/PR/SD/PD at the first seed")
    ap.add_argument("--n", type=int, default=1000, help="liu/trial: virtual patients")
    ap.add_argument("--liu-n", type=int, default=12, help="shares: liu2019 virtual patients")
    ap.add_argument("--day", type=float, default=84.0, help="shares: day on anti-PD-1")
    ap.add_argument("--seed", type=int, default=0, help="shares/trial: seed")
    ap.add_argument("--trial", default="keynote189", help="trial: library trial")
    a = ap.parse_args(argv)
    if not 0.0 <= a.rate <= 1.0:
        raise SystemExit(f"--rate {a.rate:g}: allowed 0 to 1/day (k_out_T's range)")
    if a.command == "shares" and not a.with_lesion:
        raise SystemExit("shares reads V_lesion: add --with-lesion")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    install(a.rate, a.with_lesion)
    extra = " + lesion read-out" if a.with_lesion else ""
    print(f"prototype: {PARAMETER} = {qsp.load_qsp().parameter(PARAMETER).value:g}/day{extra}")
    t0 = time.perf_counter()
    if a.command == "liu":
        for seed, f in contraction.liu(a.seeds, a.n).items():
            print(f"liu2019 nllh at the shipped optimum, n {a.n} seed {seed}: {f:.4f}")
        if a.recist:
            counts = recist(a.n, a.seeds[0])
            print(
                f"seed {a.seeds[0]} CR/PR/SD/PD: "
                + " / ".join(f"{counts[r]:.1f}" for r in ("CR", "PR", "SD", "PD"))
            )
    elif a.command == "shares":
        s = lesion.shares(a.liu_n, a.seed, a.day)
        x = s["share"]
        print(
            f"liu2019 n {len(x)} seed {a.seed}, anti-PD-1 day {a.day:g}: tumour CD8 volume / "
            f"V_lesion: median {np.median(x):.4g}, min {x.min():.4g}, max {x.max():.4g}; CD8 per "
            f"mL of V_lesion median {np.median(s['per_mL']):.4g}"
        )
    else:
        for line in lesion.trial(a.trial, a.n, a.seed):
            print(line)
    print(f"took {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
