"""Re-derive every tissue's proliferation rate from its cited net doubling time (session 12).

``tests/sim/test_tissue_growth.py`` fails when a model change moves untreated growth (immune arm,
stroma, dead cells, cancer-cell IL-6 ...) without the shipped rates following. This prints, per
tissue, the shipped ``k_grow`` (``model/qsp.py`` ``TISSUES``), the derived root, the value to
ship (:func:`senotwin.sim.tissue_growth.shipped_value`) and the net doubling it gives; paste the
last column into ``TISSUES`` (and the lung value into qsp.yaml's ``k_grow``) and say so in the
commit. ``--set NAME=VALUE`` derives under other parameter values (a what-if, nothing written).

    python scripts/derive_tissue_growth.py [--set n_pd1=1]
"""

from __future__ import annotations

import argparse

from senotwin.model.qsp import TISSUES
from senotwin.sim.tissue_growth import derive_all, net_doubling_days, shipped_value


def _overrides(pairs: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set {pair!r}: expected NAME=VALUE")
        out[name] = float(value)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = ap.parse_args()
    overrides = _overrides(args.set)
    print("tissue      cited_d  shipped   root       ship      net_at_ship_d  reached")
    for name, d in derive_all(overrides).items():
        ship = shipped_value(d.k_grow)
        net = net_doubling_days(name, ship, overrides)
        print(
            f"{name:<11} {d.cited_days:>7g}  {TISSUES[name].k_grow:<8g}  {d.k_grow:<9.6g}  "
            f"{ship:<8g}  {net:>13.2f}  {d.reached}"
        )


if __name__ == "__main__":
    main()
