# Two commands on a fresh machine with only Python and pip: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)  ## set up, then run the 2023 baseline scenario into results/baseline-2023
	$(BIN)/corridor run scenarios/baseline-2023.yaml

test: $(STAMP)  ## set up, then run the whole test suite (slow statistical tests included)
	$(BIN)/python -m pytest

bench: $(STAMP)  ## speed figures quoted in the README
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
