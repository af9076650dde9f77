"""Headless Chromium for the app's browser tests: the Debian browser and driver, never a download.

``make browser`` installs ``chromium`` and ``chromium-driver``; where neither is present the
tests are skipped with one message. Selenium is given the driver's path, so Selenium Manager
never tries to fetch one.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
MISSING = (
    "no headless browser: /usr/bin/chromium and /usr/bin/chromedriver are needed "
    "(`make browser` installs Debian's chromium and chromium-driver where apt is usable as root)"
)


def browser_available() -> bool:
    """Whether the Debian browser, its driver and selenium are all installed."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ignore_sigint() -> None:
    """The child starts with SIGINT ignored, as a job started in the background does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def start_app(port: int, tmpdir: Path | None = None) -> subprocess.Popen[bytes]:
    """``senotwin app --port PORT`` in a child process (SIGINT ignored at start, as in a
    background job: the app must still stop on it), waited for until it answers. With
    ``tmpdir`` the app and everything it starts get TMPDIR=tmpdir (see :func:`processes_with`)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    with tempfile.TemporaryFile() as log:  # the server's output, shown if it fails to start
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from senotwin.cli import main; main()",
                "app",
                "--port",
                str(port),
            ],
            env=env,
            preexec_fn=_ignore_sigint,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                log.seek(0)
                out = log.read().decode(errors="replace")
                raise RuntimeError(f"senotwin app exited with {proc.returncode}:\n{out}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                    return proc
            except OSError:
                time.sleep(0.5)
    proc.kill()
    proc.wait()
    raise RuntimeError("senotwin app did not answer within 180 s")


def processes_with(tmpdir: Path) -> list[int]:
    """Live processes whose environment has TMPDIR=tmpdir: the app and all it started."""
    needle = f"TMPDIR={tmpdir}".encode() + b"\0"
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if needle not in environ.read_bytes() + b"\0":
                continue
            state = (environ.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone, or not ours
            continue
        if state != "Z":
            found.append(int(environ.parent.name))
    return found


@contextmanager
def chrome(width: int = 1400, height: int = 1600) -> Iterator[object]:
    """A headless Chromium driven through the Debian chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def full_page_screenshot(driver: Any, path: Path) -> None:
    """Save the whole page (not only the window) to ``path``: the window grows to the page."""
    size = driver.get_window_size()
    settle(driver)  # a plot under a loading spinner is not at its full height yet
    height = driver.execute_script(  # the lowest element's bottom: plots may overflow the body
        "return Math.max(document.documentElement.scrollHeight, ...Array.from("
        "document.querySelectorAll('body *'), e => e.getBoundingClientRect().bottom"
        " + window.scrollY))"
    )
    driver.set_window_size(size["width"], max(int(height) + 200, size["height"]))  # + the frame
    try:
        settle(driver)
        driver.save_screenshot(str(path))
    finally:
        driver.set_window_size(size["width"], size["height"])


#: true while Dash runs a callback for some component or a loading spinner shows
_BUSY = (
    'return document.querySelectorAll(\'[data-dash-is-loading="true"], .dash-spinner,'
    " ._dash-loading-callback').length"
)


def settle(driver: Any, timeout: float = 60.0) -> None:
    """Wait until no Dash callback is running and every Plotly graph has drawn its layout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = driver.execute_script(_BUSY)
        drawn = driver.execute_script(
            "return Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".every(p => p._fullLayout)"
        )
        if not busy and drawn:
            return
        time.sleep(0.1)
    raise AssertionError(f"the page was still busy after {timeout} s")
