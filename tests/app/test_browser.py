"""The app in a real (headless) browser: each page used as a person would.

Screenshots and the re-render timing log go to $SENOTWIN_APP_OUT (``make app-shots`` sets it to
demo_output/app) or to a temporary folder. Timings are logged, never asserted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.app.browser import MISSING, browser_available, chrome, free_port, start_app

pytestmark = pytest.mark.skipif(not browser_available(), reason=MISSING)

PLOT = "#timecourse .js-plotly-plot"
# plotly's decoded trace (the JSON may carry y as a base64 typed array)
TUMOUR_END = f"const y = document.querySelector('{PLOT}')._fullData[0].y; return y[y.length - 1];"


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(os.environ.get("SENOTWIN_APP_OUT") or tmp_path_factory.mktemp("app"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    proc = start_app(port)
    try:
        yield proc, f"http://127.0.0.1:{port}/"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def page(server: tuple[subprocess.Popen[bytes], str]) -> Iterator[Any]:
    with chrome() as driver:
        driver.get(server[1])
        wait_for(
            lambda: driver.execute_script(
                f"return !!document.querySelector('{PLOT}')"
                f" && document.querySelector('{PLOT}').data"
                " && document.querySelector('{PLOT}').data.length"
                " > 0".replace("{PLOT}", PLOT)
            )
        )
        yield driver


def wait_for(condition: Any, timeout: float = 30.0) -> Any:
    """Poll ``condition`` until it is truthy (its value) or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except Exception:  # element not there yet
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.05)


def dash_element(driver: Any, ident: dict[str, str]) -> Any:
    """The element of a pattern-matching Dash id (its DOM id is the id's sorted JSON)."""
    key = json.dumps(ident, sort_keys=True, separators=(",", ":"))
    return wait_for(
        lambda: driver.execute_script("return document.getElementById(arguments[0])", key)
    )


def slider_handle(driver: Any, pid: str) -> Any:
    """The draggable handle of the slider of parameter ``pid``."""
    from selenium.webdriver.common.by import By

    box = dash_element(driver, {"index": pid, "type": "param-slider"})
    return box.find_element(By.CSS_SELECTOR, "[role=slider]")


def test_model_page_slider_changes_the_time_course(page: Any, out_dir: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    page.save_screenshot(str(out_dir / "model.png"))
    status = wait_for(lambda: page.find_element(By.ID, "model-status").text)
    assert status.startswith("simulated default")
    before = page.execute_script(TUMOUR_END)
    timings = []
    for key in (Keys.END, Keys.HOME):
        previous = page.execute_script(TUMOUR_END)
        handle = slider_handle(page, "k_grow")
        t0 = time.perf_counter()
        handle.send_keys(key)
        wait_for(lambda prev=previous: page.execute_script(TUMOUR_END) != prev)
        timings.append(time.perf_counter() - t0)
    after = page.execute_script(TUMOUR_END)
    assert after != before
    label = dash_element(page, {"index": "k_grow", "type": "param-value"}).text
    assert label.endswith("1/day")
    with (out_dir / "rerender_timing.log").open("a", encoding="utf-8") as log:
        for key_name, seconds in zip(("k_grow to max", "k_grow to min"), timings, strict=True):
            log.write(
                f"model page, {key_name}: plot re-rendered in {seconds:.3f} s "
                f"(browser key press to new curve; target <= 1 s)\n"
            )
    page.save_screenshot(str(out_dir / "model_changed.png"))


def test_ctrl_c_stops_the_server_cleanly() -> None:
    port = free_port()
    proc = start_app(port)
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=30)
    assert code in (0, 130, -signal.SIGINT), code


def open_tab(page: Any, label: str) -> None:
    """Click the page tab called ``label``."""
    from selenium.webdriver.common.by import By

    page.find_element(
        By.XPATH, f"//*[contains(@class, 'tab') and normalize-space()='{label}']"
    ).click()


def test_therapy_page_compares_arms_and_shows_regimen_errors(page: Any, out_dir: Path) -> None:
    from selenium.webdriver.common.by import By

    open_tab(page, "Therapy")
    page.find_element(By.ID, "therapy-run").click()
    wait_for(lambda: page.find_element(By.ID, "therapy-status").text.startswith("compared"), 120)
    page.save_screenshot(str(out_dir / "therapy.png"))
    box = dash_element(page, {"index": 2, "type": "arm-text"})
    box.send_keys("navitoclax 325 mg po qd d10-d14 +7 after last doxorubicin")
    page.find_element(By.ID, "therapy-run").click()
    error = wait_for(lambda: dash_element(page, {"index": 2, "type": "arm-error"}).text, 60)
    assert "arm 3: line 1" in error and error.rstrip().endswith("^")
    page.save_screenshot(str(out_dir / "therapy_error.png"))
