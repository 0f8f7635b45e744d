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

# The main job: every family fitted on the bundled digits, with its card and figures.
demo: install
	mkdir -p $(REPORT)
	$(BIN)/zoo list
	$(BIN)/zoo fit independent --out $(REPORT)/independent
	$(BIN)/zoo fit markov-chain --out $(REPORT)/markov-chain
	$(BIN)/zoo fit markov-chain --grid --out $(REPORT)/markov-grid
	$(BIN)/zoo fit naive-bayes --out $(REPORT)/naive-bayes
	$(BIN)/zoo fit latent-class --classes 30 --out $(REPORT)/latent-class
	$(BIN)/zoo fit autoregressive --conditional neural --hidden 64 --out $(REPORT)/autoregressive
	$(BIN)/zoo fit bayesnet --network alarm --data sample:2000 --out $(REPORT)/alarm
	$(BIN)/zoo show naive-bayes --heatmap $(REPORT)/naive-bayes/dsep-given-y.png --given y
	@echo "reports in $(REPORT)/"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# pytest exits 5 when it collects nothing; that is not a failure of the code under test.
test: lint
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest: no tests collected"; rc=0; fi; exit $$rc

clean:
	rm -rf $(VENV) $(REPORT) .pytest_cache .ruff_cache
