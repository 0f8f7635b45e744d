# Two entry points: `make demo` (the main job on the bundled data) and `make test`.
# Each creates .venv when missing and is safe to run again.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REPORT ?= zoo-report
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install demo test lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The main job: every family fitted on the bundled digits, side by side in one table and one
# report (zoo-report/index.html), then one family's full card.
demo: install
	$(BIN)/zoo compare --out $(REPORT)
	$(BIN)/zoo fit naive-bayes --out $(REPORT)/naive-bayes
	@echo "open $(REPORT)/index.html"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# pytest exits 5 when it collects nothing; that is not a failure of the code under test.
test: lint
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest: no tests collected"; rc=0; fi; exit $$rc

clean:
	rm -rf $(VENV) $(REPORT) .pytest_cache .ruff_cache
