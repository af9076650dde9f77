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

from tests.app.browser import (
    MISSING,
    browser_available,
    chrome,
    free_port,
    full_page_screenshot,
    processes_with,
    start_app,
)

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

    full_page_screenshot(page, out_dir / "model.png")
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


def test_ctrl_c_stops_the_server_and_its_running_cohort(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    port = free_port()
    proc = start_app(port, tmpdir=tmp_path)
    try:
        with chrome() as driver:
            driver.get(f"http://127.0.0.1:{port}/")
            open_tab(driver, "Trial")
            wait_for(lambda: driver.find_element(By.ID, "trial-run")).click()
            wait_for(lambda: "started" in driver.find_element(By.ID, "trial-status").text, 60)
            # the cohort command and its Dask workers are up (server + child + nanny/worker)
            wait_for(lambda: len(processes_with(tmp_path)) >= 4, 120)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code in (0, 130, -signal.SIGINT), code
    wait_for(lambda: not processes_with(tmp_path), 10)  # no worker process is left behind
    assert not list(tmp_path.glob("senotwin-app-trials-*"))  # the jobs' folder is removed


def open_tab(page: Any, label: str) -> None:
    """Click the page tab called ``label`` (once the page has rendered its tabs)."""
    from selenium.webdriver.common.by import By

    xpath = f"//*[contains(@class, 'tab') and normalize-space()='{label}']"
    wait_for(lambda: page.find_element(By.XPATH, xpath), 60).click()


def test_therapy_page_compares_arms_and_shows_regimen_errors(page: Any, out_dir: Path) -> None:
    from selenium.webdriver.common.by import By

    open_tab(page, "Therapy")
    page.find_element(By.ID, "therapy-run").click()
    wait_for(lambda: page.find_element(By.ID, "therapy-status").text.startswith("compared"), 120)
    full_page_screenshot(page, out_dir / "therapy.png")
    box = dash_element(page, {"index": 2, "type": "arm-text"})
    box.send_keys("navitoclax 325 mg po qd d10-d14 +7 after last doxorubicin")
    page.find_element(By.ID, "therapy-run").click()
    error = wait_for(lambda: dash_element(page, {"index": 2, "type": "arm-error"}).text, 60)
    assert "arm 3: line 1" in error and error.rstrip().endswith("^")
    # a long message (a dose outside the label, ~300 characters) wraps under its arm: set as
    # one line it widened the controls column until the plot left the window (app pass s53)
    dash_element(page, {"index": 3, "type": "arm-text"}).send_keys("pembrolizumab 2000 mg iv d0")
    page.find_element(By.ID, "therapy-run").click()
    off = wait_for(lambda: dash_element(page, {"index": 3, "type": "arm-error"}).text, 60)
    assert "outside its labelled or studied human range" in off
    controls = page.find_element(By.CSS_SELECTOR, ".therapy-page > .controls")
    plot = page.find_element(By.ID, "therapy-plot")
    assert controls.size["width"] <= 400, controls.size
    assert plot.location["x"] < page.get_window_size()["width"] / 2, plot.location
    page.save_screenshot(str(out_dir / "therapy_error.png"))


def test_trial_page_runs_a_20_patient_cohort_to_completion(
    page: Any, out_dir: Path, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    page.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    open_tab(page, "Trial")
    bad = dash_element(page, {"index": 2, "type": "trial-arm-text"})
    bad.send_keys("anti-pd-1 200 mq iv d0")
    page.find_element(By.ID, "trial-run").click()
    error = wait_for(lambda: dash_element(page, {"index": 2, "type": "trial-arm-error"}).text, 60)
    assert "mq" in error and error.rstrip().endswith("^")
    bad.send_keys(Keys.CONTROL, "a")  # clear() bypasses React: the app would keep the text
    bad.send_keys(Keys.DELETE)
    page.find_element(By.ID, "trial-run").click()
    wait_for(lambda: "started 2 arms x 20" in page.find_element(By.ID, "trial-status").text, 60)
    t0 = time.perf_counter()
    ended = ("complete", "failed", "cancelled")
    text = wait_for(
        lambda: next(
            (
                t
                for t in [page.find_element(By.ID, "trial-progress-text").text]
                if t.endswith(ended)
            ),
            None,
        ),
        600,
    )
    seconds = time.perf_counter() - t0
    assert text.startswith("20 of 20 patients; complete"), text
    wait_for(lambda: page.find_element(By.ID, "trial-summary"), 60)
    rows = page.find_elements(By.CSS_SELECTOR, "#trial-summary tr")
    assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in rows[1:]] == [
        "control",
        "anti-PD-1",
    ]
    assert page.execute_script(
        "return document.querySelector('#trial-km .js-plotly-plot').data.length"
    )
    with (out_dir / "rerender_timing.log").open("a", encoding="utf-8") as log:
        log.write(f"trial page, 20 patients x 2 arms: finished in {seconds:.1f} s\n")
    full_page_screenshot(page, out_dir / "trial.png")
    page.find_element(By.ID, "trial-dl-csv").click()
    csv = wait_for(lambda: next(tmp_path.glob("cohort_rows.csv"), None), 60)
    assert len(csv.read_text().splitlines()) == 1 + 40  # header + 20 patients x 2 arms


def test_kb_page_resolves_an_alias_and_redraws_the_map(page: Any, out_dir: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_tab(page, "Knowledge base")
    title = wait_for(lambda: page.find_element(By.ID, "kb-node-title").text, 60)
    assert title.startswith("CD274")  # the page opens on PD-L1, an alias of CD274
    box = page.find_element(By.ID, "kb-query")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("IL-6", Keys.ENTER)
    wait_for(lambda: page.find_element(By.ID, "kb-node-title").text.startswith("IL6"), 60)
    wait_for(
        lambda: (
            "around IL6"
            in page.execute_script(
                "return document.querySelector('#kb-map .js-plotly-plot').layout.title.text"
            )
        ),
        60,
    )
    page.find_element(By.ID, "kb-path-run").click()
    path = wait_for(lambda: page.find_element(By.CSS_SELECTOR, ".kb-path").text, 60)
    assert path.startswith("IL6") and "(net " in path
    full_page_screenshot(page, out_dir / "kb.png")


def test_samples_page_scores_an_upload_and_twins_a_sample(
    page: Any, out_dir: Path, tmp_path: Path
) -> None:
    import io
    from importlib import resources

    import pandas as pd
    from selenium.webdriver.common.by import By

    source = resources.files("senotwin.sc") / "data" / "examples" / "tcga_pancancer_tpm.csv.gz"
    table = pd.read_csv(io.BytesIO(source.read_bytes()), index_col=0, compression="gzip")
    upload = tmp_path / "twelve_tumours.csv"
    table.iloc[:, :12].to_csv(upload)
    open_tab(page, "Samples")
    field = wait_for(lambda: page.find_element(By.CSS_SELECTOR, "#samples-upload input"), 60)
    field.send_keys(str(upload))
    status = wait_for(lambda: page.find_element(By.ID, "samples-status").text, 120)
    assert status == "twelve_tumours.csv: 12 samples scored", status
    rows = page.find_elements(By.CSS_SELECTOR, "#samples-table tr")
    assert len(rows) == 13
    page.find_element(By.ID, "samples-twin-run").click()
    wait_for(lambda: page.find_element(By.CSS_SELECTOR, "#samples-twin-plot .js-plotly-plot"), 120)
    full_page_screenshot(page, out_dir / "samples.png")
