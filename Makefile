# Two commands on a fresh machine with only Python and pip: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)  ## set up, then run the 2023 baseline scenario into results/baseline-2023
	$(BIN)/corridor run scenarios/baseline-2023.yaml

test: $(STAMP) browser  ## set up, then run the whole test suite (slow statistical tests included), mypy and ruff
	$(BIN)/ruff check sim tests benchmarks scripts examples
	$(BIN)/mypy
	$(BIN)/python -m pytest

browser:  ## Debian's Chromium for the report rendering test, where apt-get can install it
	@command -v chromium >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
	  echo "no Chromium: the report rendering test will be skipped"; }

bench: $(STAMP)  ## speed figures quoted in the README
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
