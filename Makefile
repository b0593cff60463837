# The two commands: `make run` (install, load the sample project, start the app) and
# `make test` (install, lint, run the whole suite). Everything installs into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= sample_project.db
PORT ?= 8501

.PHONY: run runtime test test-fast install lint format bench clean

# `make run` needs the runtime only; `make test` adds the test extra (linters, oracles,
# the browser driver) on top of it.
$(BIN)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(BIN)/.installed: $(BIN)/.runtime
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# irrCAC (a test oracle) pins scipy==1.12, which has no build for the numpy we use:
	# install it without its pins; it runs on the current scipy.
	$(BIN)/python -m pip install --quiet --no-deps 'irrCAC==0.4.4'
	touch $@

runtime: $(BIN)/.runtime

install: $(BIN)/.installed

run: runtime
	@test -f $(DB) || $(BIN)/sourcedesk init --db $(DB) --name "Iran–Russia missiles (sample)" \
		--k 3 --sample --admin admin
	$(BIN)/sourcedesk serve --db $(DB) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The unit tests in parallel, without the browser, AppTest and multi-process (slow) suites:
# the daily loop.
test-fast: install
	$(BIN)/python -m pytest -q -n auto -m "not e2e and not apptest and not slow"

# The whole suite on both cores (xdist): unit, AppTest and the headless-Chromium tests.
test: install lint
	$(BIN)/python -m pytest -q -n 2 --durations=10

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache *.egg-info
