"""The parameter ensembles shipped with the package, and the word ``shipped`` that names the
default one wherever senotwin is installed (``--ensemble shipped``; ``ensemble="shipped"`` in
Python). A base module: every layer that reads an ensemble file resolves the word here."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from senotwin._errors import ValidationError
from senotwin._suggest import did_you_mean

#: the word that names the package's liu2019 posterior in place of a file
SHIPPED_ENSEMBLE = "shipped"
#: posterior ensembles shipped with the package: ``calibrate/data/ensembles/NAME.tsv`` (one row
#: per draw) with its provenance in ``NAME.json``; pass the TSV (or, for the liu2019 posterior, the
#: word ``shipped``) to any ``--ensemble`` option
SHIPPED_ENSEMBLES = ("liu2019_posterior",)


def shipped_ensemble_path(name: str = "liu2019_posterior") -> Path:
    """File path of a shipped ensemble's TSV (what a user passes to ``--ensemble``)."""
    if name not in SHIPPED_ENSEMBLES:
        raise ValidationError(
            f"ensemble {name!r}; shipped: {', '.join(SHIPPED_ENSEMBLES)}"
            + did_you_mean(name, SHIPPED_ENSEMBLES)
        )
    # a data folder of the calibrate package, found from the root package (no upward import)
    folder = resources.files("senotwin") / "calibrate" / "data" / "ensembles"
    return Path(str(folder / f"{name}.tsv"))


def ensemble_file(value: str | Path) -> Path:
    """An ensemble argument as a file: the string ``"shipped"`` names the package's liu2019
    posterior; any other string, or a Path (``Path("shipped")``, ``./shipped``), is a file."""
    if isinstance(value, str) and value == SHIPPED_ENSEMBLE:
        return shipped_ensemble_path()
    return Path(value)


def check_members(members: int | None, available: int, *, name: str = "--members") -> None:
    """``--members N`` (the first N parameter sets) asking for more sets than the ensemble
    holds is refused: taking them all ran fewer sets than asked and said nothing. ``name``:
    the option or argument as the caller knows it (``max_members`` in Python)."""
    if members is not None and members > available:
        raise ValidationError(
            f"{name} {members} asks for more parameter sets than the ensemble holds "
            f"({available}); allowed: 1-{available}"
        )
