"""``senotwin app``: a local Dash web app over the public API (model, therapy, trial, kb, samples).

The top layer beside the CLI: callbacks call :mod:`senotwin.sim`, :mod:`senotwin.therapy` and the
other packages; no user text reaches eval/exec (regimens go through the regimen parser).
"""

from __future__ import annotations

from senotwin.app.server import LOOPBACK, create_app, host_warning, serve

__all__ = ["LOOPBACK", "create_app", "host_warning", "serve"]
