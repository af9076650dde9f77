"""The physical-units model cites the review's knowledge base: every ``kb:`` id of ``qsp.yaml``
and its overlays (mouse antibodies, vaccine site) exists, names the entities of the mechanism it
is cited for, and every mechanistic process either cites the kb or is exempted with a reason.

The legacy ``tme.yaml`` has the same checks in ``test_tme.py``; here a process may instead say,
in its ``outside_review`` field, why no statement of the review backs it, because the
physical-units model has mechanisms the review does not state (immunoediting by HLA loss,
bystander killing, antigen-driven exhaustion) and bookkeeping that is not a mechanism;
``model explain`` prints that reason.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from senotwin.model.describe import explain, spec_fingerprint
from senotwin.model.qsp import load_mouse_qsp, load_qsp
from senotwin.model.spec import ModelSpec, Process
from senotwin.model.vaccine import load_vaccine_qsp

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


def test_every_mechanistic_process_cites_the_kb_or_says_why_not(specs):
    uncited = sorted(
        {
            f"{name}:{pr.id}"
            for name, pr in _processes(specs)
            if not _turnover(pr) and not pr.kb and not pr.outside_review
        }
    )
    assert not uncited, f"cite the kb or say why not in 'outside_review': {uncited}"


def test_a_process_outside_the_review_says_why_in_a_sentence(specs):
    short = sorted(
        {pr.id for _, pr in _processes(specs) if pr.outside_review and len(pr.outside_review) < 30}
    )
    assert not short, short
    # the reasons the review is silent: bookkeeping, experimental inputs and outside sources
    human = {pr.id: pr.outside_review for pr in specs["human"].processes}
    assert "Zaretsky 2016" in human["immune_escape"]
    assert human["stress_source"].startswith("experimental input")


def test_a_process_cannot_both_cite_the_kb_and_say_it_is_outside_the_review():
    with pytest.raises(ValueError, match="keep one of 'kb' and 'outside_review'"):
        Process(id="x", expression="1", stoichiometry={"C": 1}, kb=("B262",), outside_review="why")


def test_explain_says_why_a_process_cites_no_kb(specs):
    text = explain(specs["human"], "bystander_kill")
    assert "kb evidence: none (outside the review): IFN-gamma/TNF bystander killing" in text


def test_outside_review_is_an_annotation_not_a_number(specs):
    """Adding or editing the reason leaves the digests the shipped fits record unchanged."""
    human = specs["human"]
    bare = human.model_copy(
        update={
            "processes": tuple(
                pr.model_copy(update={"outside_review": ""}) for pr in human.processes
            )
        }
    )
    assert bare.numbers_digest() == human.numbers_digest()
    assert spec_fingerprint(bare) == spec_fingerprint(human)


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
