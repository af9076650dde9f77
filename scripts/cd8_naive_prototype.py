"""A naive CD8 precursor pool that priming uses up: a prototype (session 26 naive, issues 13/14).

Prototype only: qsp.yaml and every shipped fit stay unchanged. Process ``priming`` activates the
host's antigen-specific naive CD8, ``N_ag`` x ``naive_age``, a constant that activation never
consumes: 11-12 activations per precursor per day in the mouse (``scripts/cd8_pool_scale.py``).
In QSP-IO (model/Tcell_module.m) naive T cells are a species fed by thymic output
(``Q_nT_thym`` / clones), lost by death ``k_nT_death`` and consumed by activation. The
prototype adds, in memory only, to the human and mouse models:

* species ``N8u``: the share of the untreated antigen-specific naive pool used up (0 = the
  untreated steady state, so every zero-filled or stored start state and every ``N_ag`` trait of a
  virtual patient keeps its meaning); the pool is ``N8`` = ``N_ag`` x ``naive_age`` x (1 - ``N8u``);
* ``priming`` with ``N_ag`` x ``naive_age`` x (1 - ``N8u``) in place of ``N_ag`` x ``naive_age``;
* ``naive_activation``: ``N8u`` +1 at priming / 2^``n_gen`` / pool (one naive cell per clone);
* ``naive_renewal``: ``d_N8`` x ``N8u`` (``N8u`` -1): a constant inflow ``d_N8`` x pool (thymic
  output, QSP-IO's form) against death ``d_N8`` x ``N8``, so the untreated pool is its steady state.

``d_N8`` (derived, naive CD8 turnover): human ln 2 / 6.5 years = 2.92e-4/day (Vrisekoop 2008,
``naive_cd8_lifespan_human_vrisekoop2008``), mouse 1 / 8 weeks = 0.0179/day (the middle of the
6-10 weeks of den Braber 2012, ``naive_t_lifespan_mouse_debraber2012``; the mouse pool is fed by
the thymus). ``K_mdc`` (the DC half-maximum) is unchanged. Sub-commands as in
``scripts/cd8_contraction_prototype.py`` (``--with-contraction`` adds its ``t8b_contraction``):

    python scripts/cd8_naive_prototype.py pools|liu|emt6 [--with-contraction] [--off] [--rate R]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from senotwin.model import qsp
from senotwin.model.spec import ModelSpec

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cd8_contraction_prototype as contraction  # its loader patch, liu and sub-command tables

SPECIES = "N8u"
PARAMETER = "d_N8"
PROCESSES = ("naive_activation", "naive_renewal")
POOL = "N_ag * naive_age"
#: naive CD8 turnover (1/day): human half-life 6.5 years; mouse lifespan 6-10 weeks (middle 8)
HUMAN_RATE = math.log(2.0) / (6.5 * 365.0)
MOUSE_RATE = 1.0 / (8.0 * 7.0)


def naive(spec: ModelSpec, rate: float | None = None, consume: bool = True) -> ModelSpec:
    """``spec`` with the consumed naive pool (``N8u``, ``d_N8``, two processes, ``priming`` on it);
    ``consume`` False leaves out ``naive_activation`` (``N8u`` stays 0: the shipped dynamics)."""
    data = spec.model_dump()
    data["species"] = [
        *data["species"],
        {
            "id": SPECIES,
            "name": "share of the untreated antigen-specific naive CD8 pool used up by priming",
            "unit": "1",
            "compartment": "tdln",
            "initial": 0.0,
        },
    ]
    data["parameters"] = [
        *data["parameters"],
        {
            "id": PARAMETER,
            "name": "turnover of naive CD8 T cells (death, and the inflow renewing the pool)",
            "value": HUMAN_RATE if rate is None else rate,
            "unit": "1/day",
            "range": [0.0, 0.05],
            "provenance": {
                "kind": "derived",
                "sources": ["naive_cd8_lifespan_human_vrisekoop2008"],
                "formula": "ln 2 / 6.5 years (human naive CD8 half-life); mouse 1 / 8 weeks",
            },
        },
    ]
    free = f"{POOL} * (1 - {SPECIES})"
    processes = []
    for p in data["processes"]:
        if p["id"] == "priming":
            if POOL not in p["expression"]:
                raise ValueError("priming no longer reads N_ag * naive_age")
            p = {**p, "expression": p["expression"].replace(POOL, free, 1)}
        processes.append(p)
    rate_per_cell = f"k_act * (1 - {SPECIES}) * mDC / (mDC + K_mdc * naive_age) * ln_checkpoints"
    activation = {
        "id": PROCESSES[0],
        "expression": rate_per_cell,
        "stoichiometry": {SPECIES: 1},
        "description": "prototype (session 26 naive): priming / 2^n_gen / pool",
    }
    data["processes"] = [
        *processes,
        *([activation] if consume else []),
        {
            "id": PROCESSES[1],
            "rate_law": "first_order",
            "args": {"k": PARAMETER, "X": SPECIES},
            "stoichiometry": {SPECIES: -1},
            "description": "prototype (session 26 naive): inflow d_N8 x pool against death",
        },
    ]
    return ModelSpec.model_validate(data)


def install(
    with_contraction: bool = False, rate: float | None = None, consume: bool = True
) -> None:
    """Every model loader returns the prototype; mouse contexts get the mouse ``d_N8``."""
    mouse = MOUSE_RATE if rate is None else rate

    def build(spec: ModelSpec) -> ModelSpec:
        out = naive(spec, rate, consume)
        return contraction.contracted(out) if with_contraction else out

    qsp.MOUSE_HOST[PARAMETER] = mouse
    contraction.patch_loaders(build)


def uninstall() -> None:
    """Back to the shipped model (tests)."""
    qsp.MOUSE_HOST.pop(PARAMETER, None)
    contraction.patch_loaders(None)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("pools", "liu", "emt6"))
    ap.add_argument("--with-contraction", action="store_true", help="add t8b_contraction too")
    ap.add_argument("--off", action="store_true", help="the shipped model (no prototype)")
    ap.add_argument("--rate", type=float, default=None, help="d_N8, human and mouse (1/day)")
    ap.add_argument("--liu-n", type=int, default=12, help="pools: liu2019 virtual patients")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="liu: cohort seeds")
    ap.add_argument("--n", type=int, default=1000, help="liu: virtual patients")
    a = ap.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    if a.off:
        uninstall()
    else:
        install(a.with_contraction, a.rate)
        human, mouse = (HUMAN_RATE, MOUSE_RATE) if a.rate is None else (a.rate, a.rate)
        print(
            f"prototype: {SPECIES}, {PARAMETER} human {human:.3g}/day, mouse {mouse:.3g}/day"
            + (" + t8b_contraction" if a.with_contraction else "")
        )
    t0 = time.perf_counter()
    if a.command == "pools":
        contraction.cd8_pool_scale.main(["--liu-n", str(a.liu_n)])
    elif a.command == "liu":
        for seed, f in contraction.liu(a.seeds, a.n).items():
            print(f"liu2019 nllh at the shipped optimum, n {a.n} seed {seed}: {f:.4f}")
    else:
        contraction.emt6_cd8_decomposition.main([])
    print(f"took {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
