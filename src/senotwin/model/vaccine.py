"""Immunisation with whole cancer cells at a site outside the lesion (scenario ``mouse_vaccine``).

Marin 2023 immunised mice with senescent cancer cells and challenged them with live ones; Meng
2012 injected senescent cancer cells into tumour-bearing mice. The model's lesion is one site, so
the vaccine site is an overlay (``qsp_vaccine.yaml``) on the mouse model: its senescent and dead
cells, cleared by the lesion's laws, load DCs by the lesion's law into the same lymph node and
naive CD8 pool. qsp.yaml and its digest are untouched. The host is the model's C57BL/6 context
(``mouse_mc38_isotype``: EMT6-calibrated immunity, MC38's fitted growth standing in for the
papers' B16 melanoma, whose growth the model has no fit for).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import yaml

from senotwin.model.mouse_mc38 import mc38_params
from senotwin.model.qsp import load_mouse_qsp, mouse_initial
from senotwin.model.scenarios import Scenario
from senotwin.model.spec import ModelSpec

VACCINE_REFERENCE = (
    "Marin et al. 2023 Cancer Discov 13:410 (immunisation with senescent cancer cells, then "
    "challenge); Meng et al. 2012 Mol Ther 20:1046 (senescent cells into tumour-bearing mice)"
)
#: the lesion site holds one cancer cell before a challenge: the lesion's per-cell rates are 0/0
#: in an empty lesion; one cell is 1e-4 of the challenge and is the same in every arm
LESION_SEED_CELLS = 1.0
VACCINE_DAYS = 40.0


def qsp_vaccine_path() -> Path:
    """Path of the vaccine-site block (package data; see ``load_vaccine_qsp``)."""
    return Path(str(resources.files("senotwin.model") / "qsp_vaccine.yaml"))


@cache
def load_vaccine_qsp() -> ModelSpec:
    """The mouse model plus the vaccine site (compartment, species, parameters, observables,
    processes and the protocol-day event of ``qsp_vaccine.yaml``)."""
    spec = load_mouse_qsp()
    data = spec.model_dump()
    data["id"] = f"{spec.id}_vaccine"
    block = yaml.safe_load(qsp_vaccine_path().read_text(encoding="utf-8"))
    for key in ("compartments", "species", "parameters", "observables", "processes", "events"):
        data[key] = [*data[key], *block[key]]
    return ModelSpec.model_validate(data)


def vaccine_initial() -> dict[str, float]:
    """Naive host before immunisation: an empty vaccine site and the lesion's seed cell."""
    return mouse_initial(LESION_SEED_CELLS) | {"Vs": 0.0, "Vd": 0.0}


def vaccine_scenario() -> Scenario:
    """Scenario ``mouse_vaccine``: no vaccine and no challenge until a case's arms set them."""
    return Scenario(
        "mouse_vaccine",
        "QSP model, mouse host (C57BL/6: EMT6-calibrated immunity, MC38 growth) with a "
        "subcutaneous vaccine site; immunisation (vaccine-site cells at day 0) and the "
        "protocol-day event (challenge or a later injection) are set by the arms",
        load_vaccine_qsp,
        # the protocol's cell numbers belong to the arms: 0 here, so a null draw cannot set them
        MappingProxyType(mc38_params("isotype") | {"n_challenge": 0.0, "n_vaccine_late": 0.0}),
        MappingProxyType(vaccine_initial()),
        VACCINE_DAYS,
        reference=VACCINE_REFERENCE,
        check_ranges=False,  # mouse volumes and cell numbers are outside the human ranges
    )
