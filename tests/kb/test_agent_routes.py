"""``kb drugs --target X`` finds agents acting on X through the pathway, with hops and route
(it found only agents whose record lists X as a target: NF-κB gave the "NF-κB inhibitors" row
alone, missing aspirin, metformin, quercetin and the IKK inhibitors)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from senotwin._errors import ValidationError
from senotwin.cli.app import app
from senotwin.kb import load, query
from senotwin.kb.loader import KnowledgeBase


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load()


def test_nfkb_agents_include_those_acting_through_the_pathway(kb: KnowledgeBase) -> None:
    ids = [a.id for a in query.drugs(kb, target="NF-κB")]
    assert {"ASPIRIN", "METFORMIN", "QUERCETIN", "IKKB_INHIBITORS", "BAY_11_7082"} <= set(ids)
    assert {"NSAIDS", "RAPAMYCIN", "NFKB_INHIBITORS"} <= set(ids)
    routes = query.agent_routes(kb, "NF-κB")
    hops = [routes[i].hops for i in ids]
    assert hops == sorted(hops)  # fewest hops first
    bay = routes["BAY_11_7082"]
    assert bay.hops == 2 and bay.nodes == ("BAY_11_7082", "IKBKB", "NFKB")
    assert bay.via == ("inhibits C118", "activates C109") and bay.sign == "-"
    assert bay.describe() == "BAY_11_7082 -[inhibits C118]-> IKBKB -[activates C109]-> NFKB (net -)"
    assert routes["METFORMIN"].hops == 1 and routes["METFORMIN"].sign == "-"
    assert routes["RAPAMYCIN"].nodes == ("RAPAMYCIN", "MTOR", "NFKB")
    listed = routes["NFKB_INHIBITORS"]
    assert (listed.hops, listed.via, listed.sign) == (1, ("listed target",), "?")


def test_negated_statements_and_non_molecular_intermediates_do_not_count(
    kb: KnowledgeBase,
) -> None:
    routes = query.agent_routes(kb, "NF-κB", max_hops=2)
    # "CDK4 and CDK6 inhibitors do not activate NF-κB" (negated)
    assert "CDK4_6_INHIBITOR" not in routes
    # senolytics reach NF-κB only through cells and the SASP phenotype, not through signalling
    assert "SENOLYTICS" not in routes
    for route in routes.values():
        for node in route.nodes[1:-1]:
            assert kb.entities[node].kind in query.ROUTE_KINDS


def test_max_hops(kb: KnowledgeBase) -> None:
    one = query.agent_routes(kb, "NF-κB", max_hops=1)
    assert "RAPAMYCIN" not in one and "ASPIRIN" in one
    assert one["BAY_11_7082"].via == ("listed pathway",)  # its record lists the pathway
    assert all(r.hops == 1 for r in one.values())
    three = query.agent_routes(kb, "NF-κB", max_hops=3)
    assert set(query.agent_routes(kb, "NF-κB")) <= set(three)
    with pytest.raises(ValidationError, match=r"max_hops 5 is outside the allowed range 1\.\.4"):
        query.agent_routes(kb, "NF-κB", max_hops=5)


def test_cli_shows_hops_and_route() -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["kb", "drugs", "--target", "NF-κB", "--json"])
    assert r.exit_code == 0, r.output
    items = {d["id"]: d for d in json.loads(r.stdout)}
    assert items["NSAIDS"]["route"]["hops"] == 2
    assert items["NSAIDS"]["route"]["nodes"] == ["NSAIDS", "IKBKB", "NFKB"]
    assert items["NSAIDS"]["route"]["listed"] == ["pathway"]
    r = runner.invoke(app, ["kb", "drugs", "--target", "NF-κB"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.stdout.replace("│", " ").split())
    assert "acting on NF-κB within 2 hop(s)" in text
    assert "-[inhibits C118]->" in text  # route text survives rich markup
    r = runner.invoke(app, ["kb", "drugs", "--target", "NF-κB", "--max-hops", "9"])
    assert r.exit_code == 2 and "--max-hops must be a whole number from 1 to 4, got 9" in r.output


def test_max_hops_without_target_is_refused() -> None:
    """--max-hops only bounds the route to --target; without it the option was ignored."""
    r = CliRunner().invoke(app, ["kb", "drugs", "--max-hops", "3"])
    assert r.exit_code == 2
    assert "error: --max-hops limits the route to --target; it needs --target" in r.output
