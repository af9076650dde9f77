"""Every argument and option of every command says what it is in ``--help``."""

from __future__ import annotations

from typing import Any

import click
import typer

from senotwin.cli import app


def _undocumented(command: Any, path: tuple[str, ...]) -> list[str]:
    if hasattr(command, "list_commands"):  # a group (typer's groups are not click.Group)
        ctx = click.Context(command)
        return [
            item
            for name in command.list_commands(ctx)
            for item in _undocumented(command.get_command(ctx, name), (*path, name))
        ]
    return [f"{' '.join(path)} {p.name}" for p in command.params if not getattr(p, "help", None)]


def test_every_parameter_has_help() -> None:
    assert len(_all_commands(typer.main.get_command(app))) > 40  # the walk reaches them
    assert _undocumented(typer.main.get_command(app), ("senotwin",)) == []


def _all_commands(command: Any) -> list[Any]:
    if hasattr(command, "list_commands"):
        ctx = click.Context(command)
        return [
            c
            for n in command.list_commands(ctx)
            for c in _all_commands(command.get_command(ctx, n))
        ]
    return [command]


def test_group_listings_show_one_line_summaries() -> None:
    """Typer's rich listing keeps a docstring's line breaks: the first paragraph is one line."""
    broken = [
        c.name
        for c in _all_commands(typer.main.get_command(app))
        if "\n" in (c.help or "").strip().split("\n\n")[0]
    ]
    assert broken == []


def test_durations_and_burdens_say_their_unit() -> None:
    """--days said 'Duration (default: the scenario's)' without a unit, and --lethal-burden
    '(1 = 1e9 cells)', the legacy model's relative-unit wording."""
    params = [p for c in _all_commands(typer.main.get_command(app)) for p in c.params if p.name]
    days = [p for p in params if p.name in ("days", "horizon")]
    assert days and all("day" in (p.help or "").lower() for p in days), [
        p.help for p in days if "day" not in (p.help or "").lower()
    ]
    assert not [p.help for p in params if "1 = 1e9" in (getattr(p, "help", "") or "")]


def test_help_paragraphs_are_reflowed_so_the_terminal_wraps_them() -> None:
    """A docstring's hard line breaks inside a prose paragraph are joined (typer's rich help
    would print them as ragged lines); a list, a table or an example keeps its layout."""
    from senotwin.cli.app import reflow_help

    text = "First line.\n\n    Prose that\n    goes on --out\n    here.\n\n    - one\n    - two\n"
    assert reflow_help(text) == "First line.\n\nProse that goes on --out here.\n\n- one\n- two"
    assert reflow_help("a\nb\f\nkept\nas is") == "a b\f\nkept\nas is"
    assert reflow_help(None) is None
    root = typer.main.get_command(app)
    run = root.get_command(click.Context(root), "trial").get_command(click.Context(root), "run")  # type: ignore[attr-defined]
    assert run.help and not any("\n" in p for p in run.help.split("\n\n"))


def test_flags_show_no_value_placeholder() -> None:
    """Typer's rich help printed ``--json <bool>`` as if the flag took a value (audit, session
    40); a flag, --help included, shows none, and an option with a value keeps its type."""
    from typer.testing import CliRunner

    out = CliRunner().invoke(app, ["cohort", "summary", "--help"], terminal_width=100).output
    flag_lines = [ln for ln in out.splitlines() if "--json" in ln or "--help" in ln]
    assert flag_lines and not [ln for ln in flag_lines if "<bool>" in ln], flag_lines
    assert "<str>" in next(ln for ln in out.splitlines() if "--reference" in ln)
    assert "<bool>" not in CliRunner().invoke(app, ["--help"], terminal_width=100).output


def test_trial_run_help_says_how_the_blood_counts_are_graded() -> None:
    """`trial run --help` said the neutropenia grades were each patient's nadir (audit, session
    48), while the run grades the worst laboratory value at the dose-day draws, worsened from
    baseline, shows the model nadir beside it and reports what the dose rules did."""
    root = typer.main.get_command(app)
    trial = root.get_command(click.Context(root), "trial")  # type: ignore[attr-defined]
    text = " ".join((trial.get_command(click.Context(root), "run").help or "").split())
    assert "worst laboratory value at the dose-day draws" in text
    assert "worse than at enrolment" in text and "noise-free nadir" in text
    assert "dose rules" in text and "relative dose intensity" in text
    assert "nadir while on treatment" not in text


def test_kb_drugs_help_lists_the_agent_classes() -> None:
    """`kb drugs --class` said only 'e.g. senomorphic, senolytic.' (audit, session 48): the
    help lists every class the option accepts."""
    from senotwin.kb.schema import AGENT_CLASSES

    root = typer.main.get_command(app)
    kb = root.get_command(click.Context(root), "kb")  # type: ignore[attr-defined]
    drugs = kb.get_command(click.Context(root), "drugs")
    help_text = next(p.help for p in drugs.params if p.name == "agent_class")
    assert all(c in help_text for c in AGENT_CLASSES), help_text


def test_demo_help_says_what_it_runs_and_writes() -> None:
    """`demo --help` said it ran 'on the built-in scenario' (it runs several, two trials and the
    validation suite) and that --out holds report.html (also the figures and both trials'
    runs) (audit s49)."""
    from typer.testing import CliRunner

    res = CliRunner().invoke(app, ["demo", "--help"], terminal_width=200)
    text = " ".join(res.output.replace("│", " ").split())
    assert res.exit_code == 0 and "built-in scenario" not in text
    assert "several shipped scenarios" in text and "(cohort/, trial/;" in text


def test_model_export_and_explain_say_what_no_scenario_gives() -> None:
    """`model export` / `model explain` without --model or --scenario use the default
    scenario's model with the model's own values (stress starts at 0, not the scenario's 1),
    but --scenario's help said 'the `default` scenario' (audit, session 50)."""
    root = typer.main.get_command(app)
    model = root.get_command(click.Context(root), "model")  # type: ignore[attr-defined]
    for name in ("export", "explain"):
        command = model.get_command(click.Context(model), name)
        (option,) = [p for p in command.params if p.name == "scenario"]
        assert "with the model's own values" in " ".join(option.help.split()), option.help


def test_regimen_options_list_the_frequencies_and_their_example_runs() -> None:
    """`treat compare --arm` said only 'regimen text' and `simulate --regimen` the same, while
    the language had gained tid, qid and qNh (ux52): both give the grammar's shape and every
    frequency word, and the example regimen they show parses and is on-label for a human."""
    import re

    from senotwin.cli._common import REGIMEN_HELP
    from senotwin.therapy.language import FREQ_WORDS, PER_DAY_WORDS, parse_regimen

    root = typer.main.get_command(app)
    treat = root.get_command(click.Context(root), "treat")  # type: ignore[attr-defined]
    compare = treat.get_command(click.Context(root), "compare")
    simulate = root.get_command(click.Context(root), "simulate")  # type: ignore[attr-defined]
    for command, name in ((compare, "arm"), (simulate, "regimen")):
        (option,) = [p for p in command.params if p.name == name]
        assert REGIMEN_HELP in option.help
    words = {"qd", "qod", "qw", *PER_DAY_WORDS, "qNh", "qNd", "qNw"}
    assert set(FREQ_WORDS) - {"daily", "weekly"} <= words
    assert all(re.search(rf"\b{w}\b", REGIMEN_HELP) for w in words), REGIMEN_HELP
    (example,) = re.findall(r"e\.g\. '([^']+)'", REGIMEN_HELP)
    regimen = parse_regimen(example)
    assert [i.frequency_text() for i in regimen.items] == ["q21d", "tid"]  # q3w: every 21 days
    assert regimen.off_label() == ()  # the human body: both on their labels
    (plot,) = [p for p in compare.params if p.name == "plot"]
    assert "tick" in plot.help  # the figure marks the doses given


def test_no_default_is_shown_as_a_long_float() -> None:
    """`optimize --help` showed '[default: 0.3333333333333333]' for --max-dlt-share (ux52)."""
    shown = [
        f"{c.name} {p.name}={p.default!r}"
        for c in _all_commands(typer.main.get_command(app))
        for p in c.params
        if isinstance(p.default, float)
        and len(repr(p.default)) > 8
        and p.show_default is not False
        and not isinstance(p.show_default, str)
    ]
    assert shown == []


def test_help_shows_no_markup_nor_a_class_name_for_a_type() -> None:
    """`model units --help` printed reST's ``model check`` literally, the --ensemble options
    showed their type as '<Path>' where every other path reads '<path>', and `sc survival
    --figure` did not say which formats it writes (ux53)."""
    from typer.testing import CliRunner

    root = typer.main.get_command(app)

    def paths(command: Any, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        if not hasattr(command, "list_commands"):
            return [path]
        ctx = click.Context(command)
        return [
            p
            for n in command.list_commands(ctx)
            for p in paths(command.get_command(ctx, n), (*path, n))
        ]

    found = []
    for path in paths(root, ()):
        out = CliRunner().invoke(app, [*path, "--help"], terminal_width=200).output
        found += [f"{' '.join(path)}: {m}" for m in ("``", "<Path>") if m in out]
    assert found == []
    survival = CliRunner().invoke(app, ["sc", "survival", "--help"], terminal_width=200).output
    assert ".png, .svg or .pdf" in survival


def _option_help(path: tuple[str, ...], option: str) -> str:
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.get_command(click.Context(command), name)
    return next(p.help or "" for p in command.params if option in getattr(p, "opts", ()))


def test_counts_say_their_allowed_range() -> None:
    """`trial heldback --n` did not say its minimum (3), nor `optimize --budget` and `trial run
    --n` their range, which other options say (ux53): each names the range it is checked to."""
    from senotwin.cli._common import COHORT_SIZE
    from senotwin.cohort.runner import MAX_PATIENTS
    from senotwin.trial.ici_cohort import MIN_PATIENTS

    assert f"1-{MAX_PATIENTS:,}" == COHORT_SIZE  # the help's words, the runner's check
    for path in (
        ("trial", "run"),
        ("trial", "replicates"),
        ("trial", "independence"),
        ("cohort", "run"),
    ):
        assert f"({COHORT_SIZE}" in _option_help(path, "--n"), path
    assert f"(at least {MIN_PATIENTS};" in _option_help(("trial", "heldback"), "--n")
    from senotwin.cli.optimize import BUDGET_RANGE, PATIENTS_RANGE
    from senotwin.cohort.optimize import MAX_BUDGET, MAX_EVAL_PATIENTS

    assert (f"1-{MAX_BUDGET:,}", f"2-{MAX_EVAL_PATIENTS:,}") == (BUDGET_RANGE, PATIENTS_RANGE)
    assert f"({BUDGET_RANGE};" in _option_help(("optimize",), "--budget")
    assert f"({PATIENTS_RANGE})" in _option_help(("optimize",), "--patients")


def test_every_members_option_is_the_one_shared_option() -> None:
    """`simulate --ensemble` had no --members (it ran every row); the commands that take one
    share its help (and its checks, senotwin.cli._common.check_members_option)."""
    helps = {
        path: _option_help(path, "--members")
        for path in (("simulate",), ("validate",), ("treat", "compare"), ("cohort", "run"))
    }
    assert set(helps.values()) == {"With --ensemble: use only the first N parameter sets."}
