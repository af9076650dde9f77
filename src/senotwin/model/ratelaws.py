"""Registry of rate-law templates: named formulas with typed arguments and a reference each.

A process or observable names a template and binds each argument to a declared id; the formula
is an expression tree (``model.expr``), so it renders to text, SBML and Antimony and compiles to
numpy without ever executing text. Register further templates with :func:`register`;
the shipped ones are registered lazily on first use (:mod:`senotwin._registry`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from senotwin._errors import ValidationError
from senotwin._registry import Registry
from senotwin.model.expr import Expr, Sym, parse, substitute, to_text

Role = Literal["species", "parameter", "any"]


@dataclass(frozen=True)
class Argument:
    """One formal argument of a template: its name, what it must be bound to, what it means."""

    name: str
    role: Role
    meaning: str


@dataclass(frozen=True)
class RateLaw:
    """A named rate-law template: formula over its argument names, with its reference."""

    name: str
    description: str
    arguments: tuple[Argument, ...]
    formula: Expr
    reference: str

    @property
    def argument_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.arguments)

    def formula_text(self) -> str:
        """The formula as readable infix text."""
        return to_text(self.formula)

    def bind(self, binding: Mapping[str, str], *, where: str) -> Expr:
        """Substitute bound ids for the formal arguments; names missing/extra args in errors."""
        missing = [a for a in self.argument_names if a not in binding]
        extra = [a for a in binding if a not in self.argument_names]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing argument(s) {', '.join(missing)}")
            if extra:
                parts.append(f"unexpected argument(s) {', '.join(extra)}")
            raise ValidationError(
                f"{where}: rate law {self.name!r} ({self.formula_text()}) "
                f"takes {', '.join(self.argument_names)}: " + "; ".join(parts)
            )
        return substitute(self.formula, {k: Sym(v) for k, v in binding.items()})


def make_rate_law(
    name: str,
    formula: str,
    arguments: tuple[tuple[str, Role, str], ...],
    *,
    description: str,
    reference: str,
) -> RateLaw:
    """A template record; the formula is parsed with the same whitelist as user expressions."""
    args = tuple(Argument(n, r, m) for n, r, m in arguments)
    tree = parse(formula, {a.name for a in args}, where=f"rate law {name!r}")
    return RateLaw(name, description, args, tree, reference)


def register(
    name: str,
    formula: str,
    arguments: tuple[tuple[str, Role, str], ...],
    *,
    description: str,
    reference: str,
    replace: bool = False,
) -> RateLaw:
    """Add a template; an existing name needs ``replace=True``."""
    law = make_rate_law(name, formula, arguments, description=description, reference=reference)
    return RATE_LAWS.register(law, replace=replace)


def get(name: str) -> RateLaw:
    """Look up a template by name; unknown names list the closest registered ones."""
    return RATE_LAWS.get(name)


def names() -> tuple[str, ...]:
    """Registered template names, sorted."""
    return RATE_LAWS.names()


_MA = "Guldberg & Waage 1864 (law of mass action)"
_HILL = "Hill 1910 J Physiol 40:iv-vii"
_MM = "Michaelis & Menten 1913 Biochem Z 49:333"
_KARIN = "Karin et al. 2019 Nat Commun 10:5495 (saturating removal beta*X/(kappa+X))"


def _builtin_rate_laws(registry: Registry[RateLaw]) -> None:
    """The shipped templates (registered on first use of the registry)."""

    def add(
        name: str,
        formula: str,
        arguments: tuple[tuple[str, Role, str], ...],
        *,
        description: str,
        reference: str,
    ) -> None:
        registry.register(
            make_rate_law(name, formula, arguments, description=description, reference=reference)
        )

    add(
        "constant_source",
        "k",
        (("k", "parameter", "source rate"),),
        description="zero-order production or influx at a constant rate",
        reference=_MA,
    )
    add(
        "linear_time_source",
        "eta * time",
        (("eta", "parameter", "production rate per unit time, per unit time"),),
        description="production rising linearly with time (age)",
        reference=_KARIN,
    )
    add(
        "first_order",
        "k * X",
        (("k", "parameter", "rate constant"), ("X", "any", "substrate/population")),
        description="first-order decay, death or transition X -> ...",
        reference=_MA,
    )
    add(
        "mass_action_2",
        "k * A * B",
        (
            ("k", "parameter", "second-order rate constant"),
            ("A", "any", "first reactant"),
            ("B", "any", "second reactant"),
        ),
        description="bimolecular mass action (encounter, kill or inactivation)",
        reference=_MA,
    )
    add(
        "michaelis_menten",
        "vmax * S / (Km + S)",
        (
            ("vmax", "parameter", "maximal rate"),
            ("S", "any", "substrate"),
            ("Km", "parameter", "half-saturation constant"),
        ),
        description="saturating (Michaelis-Menten) rate in S",
        reference=_MM,
    )
    add(
        "saturating_removal",
        "beta * X / (kappa + X)",
        (
            ("beta", "parameter", "maximal removal rate"),
            ("X", "any", "population removed"),
            ("kappa", "parameter", "half-saturation of the removal capacity"),
        ),
        description="removal by a saturable capacity (Karin-style senescent-cell clearance)",
        reference=_KARIN,
    )
    add(
        "saturating_interaction",
        "k * E * T / (K + T)",
        (
            ("k", "parameter", "maximal per-effector rate"),
            ("E", "any", "effector population"),
            ("T", "any", "target population"),
            ("K", "parameter", "half-saturation in the target"),
        ),
        description="effector-driven rate saturating in the target (kill or stimulation)",
        reference="Kuznetsov et al. 1994 Bull Math Biol 56:295",
    )
    add(
        "hill_activation",
        "vmax * hill(X, K, n)",
        (
            ("vmax", "parameter", "maximal rate"),
            ("X", "any", "activator"),
            ("K", "parameter", "half-activation level"),
            ("n", "parameter", "Hill coefficient"),
        ),
        description="cooperative activation",
        reference=_HILL,
    )
    add(
        "hill_inhibition",
        "vmax * K ** n / (K ** n + X ** n)",
        (
            ("vmax", "parameter", "maximal rate"),
            ("X", "any", "inhibitor"),
            ("K", "parameter", "half-inhibition level"),
            ("n", "parameter", "Hill coefficient"),
        ),
        description="cooperative inhibition",
        reference=_HILL,
    )
    add(
        "hill_fraction",
        "hill(X, K, n)",
        (
            ("X", "any", "input"),
            ("K", "parameter", "half-maximal level"),
            ("n", "parameter", "Hill coefficient"),
        ),
        description="dimensionless activation fraction in [0, 1] (for observables)",
        reference=_HILL,
    )
    add(
        "recruitment",
        "s0 + smax * hill(X, K, n)",
        (
            ("s0", "parameter", "basal influx"),
            ("smax", "parameter", "maximal signal-driven influx"),
            ("X", "any", "recruiting signal"),
            ("K", "parameter", "half-maximal signal"),
            ("n", "parameter", "Hill coefficient"),
        ),
        description="basal plus signal-driven (Hill) recruitment of cells",
        reference=_HILL,
    )
    add(
        "logistic_growth",
        "r * X * (1 - X / K)",
        (
            ("r", "parameter", "intrinsic growth rate"),
            ("X", "species", "growing population"),
            ("K", "parameter", "carrying capacity"),
        ),
        description="logistic growth with carrying capacity K",
        reference="Verhulst 1838 Corresp Math Phys 10:113",
    )
    add(
        "logistic_growth_b",
        "r * X * (1 - b * X)",
        (
            ("r", "parameter", "intrinsic growth rate"),
            ("X", "species", "growing population"),
            ("b", "parameter", "inverse carrying capacity"),
        ),
        description="logistic growth written with the inverse capacity b = 1/K (Kuznetsov 1994)",
        reference="Kuznetsov et al. 1994 Bull Math Biol 56:295",
    )
    add(
        "gompertz_growth",
        "r * X * log(K / max(X, 1e-300))",
        (
            ("r", "parameter", "growth-rate constant"),
            ("X", "species", "growing population"),
            ("K", "parameter", "plateau size"),
        ),
        description="Gompertz growth (X floored at 1e-300 inside the log so X=0 gives rate 0)",
        reference="Laird 1964 Br J Cancer 18:490",
    )
    add(
        "ratio_dependent_kill",
        "d * T * max(E, 0) ** l / (s * max(T, 0) ** l + max(E, 0) ** l)",
        (
            ("d", "parameter", "maximal kill rate"),
            ("E", "any", "effector population"),
            ("T", "any", "target population"),
            ("s", "parameter", "steepness (effector:target ratio at half-maximal kill, ^l)"),
            ("l", "parameter", "exponent of the effector:target ratio"),
        ),
        description=(
            "de Pillis kill D*T with D = d (E/T)^l/(s + (E/T)^l), written finite at T = 0 "
            "(powers of max(., 0) so a solver undershoot below 0 cannot produce NaN)"
        ),
        reference="de Pillis, Radunskaya & Wiseman 2005 Cancer Res 65:7950",
    )
    add(
        "product",
        "a * b",
        (("a", "any", "first factor"), ("b", "any", "second factor")),
        description="product of two quantities (observables)",
        reference="arithmetic helper",
    )
    add(
        "ratio",
        "a / b",
        (("a", "any", "numerator"), ("b", "any", "denominator")),
        description="ratio of two quantities (observables); the denominator must stay positive",
        reference="arithmetic helper",
    )
    add(
        "quasi_steady_state",
        "k * X / d",
        (
            ("k", "parameter", "production rate per producer"),
            ("X", "any", "producer"),
            ("d", "parameter", "clearance rate"),
        ),
        description="fast signal at quasi-steady state of dS/dt = k X - d S",
        reference="Segel & Slemrod 1989 SIAM Rev 31:446 (quasi-steady-state approximation)",
    )


#: every rate-law template, built-ins always present (see :mod:`senotwin._registry`)
RATE_LAWS: Registry[RateLaw] = Registry("rate law", _builtin_rate_laws)
