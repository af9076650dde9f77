"""The physical-units model cites the review's knowledge base: every ``kb:`` id of ``qsp.yaml``
and its overlays (mouse antibodies, vaccine site) exists, names the entities of the mechanism it
is cited for, and every mechanistic process either cites the kb or is exempted with a reason.

The legacy ``tme.yaml`` has the same checks in ``test_tme.py``; here the exemptions are explicit,
because the physical-units model has mechanisms the review does not state (immunoediting by
HLA loss, bystander killing, antigen-driven exhaustion) and bookkeeping that is not a mechanism.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from senotwin.model.qsp import load_mouse_qsp, load_qsp
from senotwin.model.spec import ModelSpec, Process
from senotwin.model.vaccine import load_vaccine_qsp

#: processes with a mechanism that cite no kb interaction, and why (none of them may cite one)
EXEMPT: dict[str, str] = {
    "stress_source": "experimental input: the dosed senescence-inducer exposure, not a mechanism",
    "cancer_death": "basal death of cancer cells into debris at a fixed rate: no mechanism",
    "cancer_death_invisible": "basal death of HLA class I-negative cancer cells (as cancer_death)",
    "cytotoxic_kill": (
        "direct chemotherapy kill: the review states that DNA-damaging agents induce senescence "
        "(A393, cited by tis), not that they kill; its only killing agent is a PARP inhibitor on "
        "centrosome-abnormal cells (C148). Calibrated on Claret 2014 MONET1"
    ),
    "cytotoxic_kill_invisible": "direct chemotherapy kill of HLA-loss cells (as cytotoxic_kill)",
    "bystander_kill": (
        "not in the review: IFN-gamma/TNF bystander killing of antigen-loss cells rests on "
        "Zhang 2008, Kearney 2018, Hoekstra 2020 (process description); the review's IFN-gamma "
        "statement (B397) is about regression after senescence, not killing of unrecognised cells"
    ),
    "immune_escape": (
        "not in the review: immunoediting to HLA class I / B2M loss rests on Zaretsky 2016 and "
        "Gettinger 2017 (process description); the review has MHC-I loss only as a consequence "
        "of centrosome dysfunction (B188, B191)"
    ),
    "stromal_senescence": (
        "influx of the host tissue's own senescent stroma at the measured p16-positive share of "
        "normal lung (Idda 2020; parameter s_rs): the review states no source for it, and its "
        "SASP-driven paracrine senescence (A003, B224) is not in this rate law"
    ),
    "exhaustion": (
        "driven by chronic antigen (Pauken 2016; state Ex): the review names IL-6, TGF-beta, the "
        "SASP and immunosenescence as causes of exhaustion (A238, A240, A274, A254), none of "
        "which is in this rate law"
    ),
    "t8r_exhaustion": "re-exhaustion of reinvigorated progeny by chronic antigen (as exhaustion)",
    "exhaustion_drive": "antigen presence C/(C + K_ag) drives the exhaustion state (as exhaustion)",
    "exhaustion_relax": "bookkeeping: relaxation of the time-averaged exhaustion drive Ex",
    "myelopoiesis_relax": "bookkeeping: relaxation of the time-averaged myelopoiesis signal Em",
    # the mouse variant replaces the human first-order depletions by these (qsp_mouse.yaml)
    **{
        f"cd8_depletion_{pool}": "experimental manipulation: a depleting anti-CD8 antibody (mice)"
        for pool in ("blood", "effector", "exhausted", "burst", "terminal")
    },
}

_SENESCENT_REMOVAL = {
    "SENESCENT_CELL",
    "SENESCENT_CELL_CLEARANCE",
    "APOPTOSIS",
    "CCR2_MYELOID_CELL",
}
_PD1 = {"CD274", "PDCD1"}
#: the entities a citing process's mechanism is about: each interaction it cites must have one of
#: them as its source or target (an id that exists but belongs to another mechanism fails)
PROCESS_ENTITIES: dict[str, set[str]] = {
    "growth": {"IL6", "CXCL8", "STAT3", "TUMOR_CELL_SURVIVAL", "TUMOR_CELL_PROLIFERATION"},
    "tis": {"CELLULAR_SENESCENCE", "TIS", "SENESCENT_TUMOR_CELL"},
    "sasp_lock": {"NFKB", "IKBKB", "NOTCH1", "SASP"},
    "deepening": {"LINE1", "IFN_I"},
    "death_Se": _SENESCENT_REMOVAL,
    "cd8_kill": {"CD8_T_CELL", "T_CELL", "EFFECTOR_T_CELL"},
    "cd8_kill_sen_early": {"SENESCENT_CELL", "SENESCENT_TUMOR_CELL"},
    "dc_migration": {"DENDRITIC_CELL"},
    "priming": {"DENDRITIC_CELL", "T_CELL"},
    "trafficking": {"CD8_T_CELL"},
    "reinvigoration": {*_PD1, "T_CELL", "ANTI_PD1"},
    "mdsc_recruitment": {"MDSC"},
    "myelopoiesis_drive": {"IL6"},
    "pmn_recruitment": {"NEUTROPHIL", "MDSC"},
    "nk_recruitment": {"NK_CELL"},
    "nk_kill_invisible": {"NK_CELL"},
    "vaccine_senescent_removal": _SENESCENT_REMOVAL,
    "vaccine_dc_migration": {"DENDRITIC_CELL", "SENESCENT_TUMOR_CELL"},
}
# processes that repeat another's rate law on another pool cite what it cites
for _twin, _of in {
    "growth_invisible": "growth",
    "tis_invisible": "tis",
    "sasp_lock_cancer": "sasp_lock",
    "deepening_cancer": "deepening",
    "death_Sl": "death_Se",
    "death_Sd": "death_Se",
    "death_Sce": "death_Se",
    "death_Scl": "death_Se",
    "death_Scd": "death_Se",
    "cd8_kill_sen_late": "cd8_kill_sen_early",
    "cd8_kill_sen_deep": "cd8_kill_sen_early",
    "reinvigoration_burst": "reinvigoration",
}.items():
    PROCESS_ENTITIES[_twin] = PROCESS_ENTITIES[_of]

_STAT3 = {"IL6", "STAT3"}
_CXCR = {"CXCL8", "CXCR1", "CXCR2"}
OBSERVABLE_ENTITIES: dict[str, set[str]] = {
    "sasp_cells": {"SASP", "IL1A", "CEBPB", "CGAS_STING"},
    "sasp_secretion": {"SASP"},
    "ifn_cells": {"IFN_I", "CGAS_STING"},
    "IFNI_t": {"IFN_I"},
    "IL6_t": {"IL6"},
    "IL6_p": {"IL6"},
    "CCL2_t": {"CCL2"},
    "CCL2_vac": {"CCL2"},
    "IL8_t": {"CXCL8"},
    "IL8_p": {"CXCL8"},
    "TGFb_t": {"TGFB"},
    "tgfb_supp": {"TGFB"},
    "PDL1_d": _PD1,
    "PDPL": _PD1,
    "H_PD1": _PD1,
    "PDPL_niche": _PD1,
    "H_PD1_niche": _PD1,
    "pd1_function": _PD1,
    "PDPL_LN": _PD1,
    "PDPL_LN0": _PD1,
    "occ_pdl1": _PD1,
    "CD28_B7": {"CTLA4"},
    "ln_checkpoints": {*_PD1, "CTLA4", "ANTI_CTLA4"},
    "mdsc_supp": {"MDSC"},
    "treg_supp": {"TREG"},
    "removal": {*_SENESCENT_REMOVAL, "MDSC"},
    "removal_vac": _SENESCENT_REMOVAL,
    "cd8_sen_kill": {"SENESCENT_CELL", "SENESCENT_TUMOR_CELL"},
    "nk_kill": {"NK_CELL"},
    "apoptosis": {"APOPTOSIS", "SENESCENT_TUMOR_CELL"},
    "p21_arrest": {"CDKN1A"},
    "p16_arrest": {"CDKN2A"},
    "il6_stat3_t": _STAT3,
    "il6_stat3_own": _STAT3,
    "il6_stat3_p": _STAT3,
    "ccr2_clearance": {"CCL2", "CCR2", "CCR2_MYELOID_CELL", "SENESCENT_CELL_CLEARANCE"},
    "ccr2_myeloid": {"CCL2", "CCR2", "CSF1R", "MDSC"},
    "cxcr2_signal": _CXCR,
    "cxcr2_own": _CXCR,
    "cxcr_mitogen": _CXCR,
}

#: what this change achieved in qsp.yaml (the default model): a citation removed fails here
MIN_PROCESSES_WITH_KB = 28
MIN_OBSERVABLES_WITH_KB = 37


@pytest.fixture(scope="module")
def specs() -> dict[str, ModelSpec]:
    """The default model and its overlays as loaded (the overlays add and replace processes)."""
    return {"human": load_qsp(), "mouse": load_mouse_qsp(), "vaccine": load_vaccine_qsp()}


def _turnover(pr: Process) -> bool:
    """Pure turnover: first-order loss of one species (the legacy model's rule, test_tme.py)."""
    return pr.rate_law == "first_order" and list(pr.stoichiometry.values()) == [-1]


def _processes(specs: dict[str, ModelSpec]) -> Iterator[tuple[str, Process]]:
    for name, spec in specs.items():
        for pr in spec.processes:
            yield name, pr


def test_every_cited_id_exists_in_the_shipped_kb(specs, shipped_kb):
    cited: set[str] = set()
    for spec in specs.values():
        for item in (*spec.processes, *spec.observables, *spec.events):
            cited |= set(item.kb)
    missing = sorted(c for c in cited if c not in shipped_kb.interactions)
    assert not missing, missing
    # an explicit null statement of the review ("X does not ...") is no evidence for a mechanism
    negated = sorted(c for c in cited if shipped_kb.interactions[c].negated)
    assert not negated, negated
    assert len(cited) > 60


def test_every_mechanistic_process_cites_the_kb_or_is_exempt(specs):
    uncited = sorted(
        {
            f"{name}:{pr.id}"
            for name, pr in _processes(specs)
            if not _turnover(pr) and not pr.kb and pr.id not in EXEMPT
        }
    )
    assert not uncited, f"cite the kb or add to EXEMPT with a reason: {uncited}"


def test_no_exempt_process_cites_the_kb(specs):
    citing = sorted({pr.id for _, pr in _processes(specs) if pr.id in EXEMPT and pr.kb})
    assert not citing, f"cites the kb now: remove from EXEMPT {citing}"


def test_exemptions_are_current_and_give_a_reason(specs):
    mechanistic = {pr.id for _, pr in _processes(specs) if not _turnover(pr)}
    stale = sorted(set(EXEMPT) - mechanistic)
    assert not stale, f"no such non-turnover process: {stale}"
    short = sorted(pid for pid, why in EXEMPT.items() if len(why) < 30)
    assert not short, short


def test_cited_interactions_belong_to_the_mechanism(specs, shipped_kb):
    """Each cited interaction has an entity of its process or observable as source or target,
    and every citing process or observable says which entities those are."""
    wrong: list[str] = []
    undeclared: set[str] = set()
    for spec in specs.values():
        for table, items in (
            (PROCESS_ENTITIES, spec.processes),
            (OBSERVABLE_ENTITIES, spec.observables),
        ):
            for item in items:
                if not item.kb:
                    continue
                if item.id not in table:
                    undeclared.add(item.id)
                    continue
                for iid in item.kb:
                    inter = shipped_kb.interactions.get(iid)  # a missing id fails above
                    if inter is not None and not {inter.source, inter.target} & table[item.id]:
                        wrong.append(f"{item.id}: {iid} {inter.source} -> {inter.target}")
    assert not undeclared, sorted(undeclared)
    assert not wrong, sorted(set(wrong))


def test_default_model_cites_the_kb_as_shipped(specs):
    human = specs["human"]
    with_kb = [pr.id for pr in human.processes if pr.kb]
    assert len(with_kb) >= MIN_PROCESSES_WITH_KB, with_kb
    assert sum(1 for o in human.observables if o.kb) >= MIN_OBSERVABLES_WITH_KB
    # the overlays keep the citations of the processes they carry over
    for name in ("mouse", "vaccine"):
        carried = {pr.id for pr in specs[name].processes if pr.kb}
        assert set(with_kb) <= carried, name
