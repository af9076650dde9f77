# senotwin — set-up, tests and the demo. Everything starts from Python 3.11 + make.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test lint typecheck pytest demo bench clean browser app-shots

venv: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; senotwin needs Python 3.11 (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) browser
	MPLBACKEND=Agg $(BIN)/pytest

# headless Chromium + driver for the web app's browser tests (Debian packages; skipped if absent)
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null \
		|| echo "warning: could not install chromium; the browser tests will be skipped"; \
	else echo "note: no chromium/chromedriver and apt not usable as root; browser tests skipped"; fi

# screenshots of every page of `senotwin app` and the re-render timing log
app-shots: $(STAMP) browser
	mkdir -p demo_output/app
	SENOTWIN_APP_OUT=demo_output/app MPLBACKEND=Agg $(BIN)/pytest tests/app/test_browser.py

test: lint typecheck pytest

demo: $(STAMP)
	MPLBACKEND=Agg $(BIN)/senotwin demo --out demo_output

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) demo_output .mypy_cache .pytest_cache .ruff_cache
