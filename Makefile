# The two commands: `make run` (install, load the sample project, start the app) and
# `make test` (install, lint, run the whole suite). Everything installs into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= sample_project.db
PORT ?= 8501

.PHONY: run test install lint format bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# irrCAC (a test oracle) pins scipy==1.12, which has no build for the numpy we use:
	# install it without its pins; it runs on the current scipy.
	$(BIN)/python -m pip install --quiet --no-deps 'irrCAC==0.4.4'
	touch $@

install: $(BIN)/.installed

run: install
	@test -f $(DB) || $(BIN)/sourcedesk init --db $(DB) --name "Iran–Russia missiles (sample)" --k 3 --sample
	$(BIN)/sourcedesk serve --db $(DB) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install lint
	$(BIN)/python -m pytest -q

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache *.egg-info
