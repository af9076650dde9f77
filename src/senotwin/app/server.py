"""Build the Dash app and serve it on the loopback interface."""

from __future__ import annotations

import warnings

from dash import Dash, dcc, html

from senotwin._errors import SenotwinWarning, ValidationError
from senotwin.app import kb_view, model_view, samples_view, therapy_view, trial_view
from senotwin.app.trial_jobs import TrialJobs

#: the only interface served without a warning
LOOPBACK = "127.0.0.1"
_LOCAL = {LOOPBACK, "localhost", "::1"}


def host_warning(host: str) -> str | None:
    """Why serving on ``host`` is risky (None for the loopback interface)."""
    if host in _LOCAL:
        return None
    return (
        f"serving on {host!r} exposes the app (and the files it can write) to other machines; "
        f"use the default {LOOPBACK} unless you mean it"
    )


def create_app(jobs: TrialJobs | None = None) -> Dash:
    """The app with the default scenario already simulated (this also compiles the model).

    ``jobs`` holds the Trial page's background cohorts (the caller stops them at shutdown).
    """
    app = Dash(__name__, title="senotwin", suppress_callback_exceptions=True)
    default = model_view.default_scenario().name
    _, picked, _ = model_view.picker_state(default)
    figure, _, _ = model_view.render(default, [None] * len(picked), [{"index": p} for p in picked])
    app.layout = html.Div(
        [
            html.H1("senotwin: SASP in the aging tumour microenvironment"),
            dcc.Tabs(
                id="pages",
                value="model",
                children=[
                    dcc.Tab(label="Model", value="model", children=model_view.layout(figure)),
                    dcc.Tab(
                        label="Therapy",
                        value="therapy",
                        children=therapy_view.layout(model_view.scenario_names()),
                    ),
                    dcc.Tab(label="Trial", value="trial", children=trial_view.layout()),
                    dcc.Tab(label="Knowledge base", value="kb", children=kb_view.layout()),
                    dcc.Tab(label="Samples", value="samples", children=samples_view.layout()),
                ],
            ),
        ]
    )
    model_view.register(app)
    therapy_view.register(app)
    trial_view.register(app, jobs if jobs is not None else TrialJobs())
    kb_view.register(app)
    samples_view.register(app)
    return app


def _check_port_free(host: str, port: int) -> None:
    """Refuse a port another program holds, in one line, before the model is compiled (the
    server exited 1 with its own message; audit, session 41)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ValidationError(
                f"--port {port}: cannot listen on {host}:{port} ({exc.strerror or exc}); "
                "choose another port"
            ) from None


def serve(host: str = LOOPBACK, port: int = 8050) -> None:
    """Serve until Ctrl-C (a SenotwinWarning first when ``host`` is not the loopback)."""
    message = host_warning(host)
    if message:
        warnings.warn(message, SenotwinWarning, stacklevel=2)
    _check_port_free(host, port)
    jobs = TrialJobs()
    try:
        create_app(jobs).run(host=host, port=port, debug=False)
    finally:  # Ctrl-C: no cohort child and no Dask worker outlives the server
        jobs.shutdown()
