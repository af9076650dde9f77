"""The app binds the loopback interface; any other host gets a warning naming the risk."""

from __future__ import annotations

import pytest

from senotwin._errors import SenotwinWarning, ValidationError
from senotwin.app import LOOPBACK, create_app, host_warning, serve


def test_loopback_is_quiet_and_other_hosts_warn() -> None:
    assert host_warning(LOOPBACK) is None
    assert host_warning("localhost") is None
    message = host_warning("0.0.0.0")
    assert message is not None and "'0.0.0.0'" in message and LOOPBACK in message


def test_serve_warns_before_binding_a_public_host(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[tuple[str, int]] = []

    class FakeApp:
        def __init__(self, *_args: object) -> None:
            pass

        def run(self, host: str, port: int, debug: bool) -> None:
            started.append((host, port))

    monkeypatch.setattr("senotwin.app.server.create_app", FakeApp)
    with pytest.warns(SenotwinWarning, match="exposes the app"):
        serve(host="0.0.0.0", port=0)  # 0: any free port, so the port probe cannot collide
    assert started == [("0.0.0.0", 0)]


def test_a_busy_port_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another program on the port: the server exited 1 with its own message (audit, s41)."""
    import socket

    monkeypatch.setattr("senotwin.app.server.create_app", lambda *_a: pytest.fail("started"))
    with socket.socket() as held:
        held.bind((LOOPBACK, 0))
        held.listen()
        port = held.getsockname()[1]
        with pytest.raises(ValidationError, match=rf"--port {port}: cannot listen.*another port"):
            serve(port=port)


def test_app_opens_with_the_default_scenario_simulated() -> None:
    app = create_app()
    graph = app.layout["timecourse"]
    assert graph.figure.data, "the time course is drawn before any interaction"
