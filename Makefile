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

demo: install
	mkdir -p $(REPORT)
	$(BIN)/zoo list
	$(BIN)/zoo show independent --n 64 --draw $(REPORT)/independent.png
	$(BIN)/zoo show markov-chain --n 64 --draw $(REPORT)/markov-chain.png \
		--heatmap $(REPORT)/markov-chain-dsep-given-x27.png --given x27
	$(BIN)/zoo show markov-chain --n 64 --grid --draw $(REPORT)/markov-grid.png
	$(BIN)/zoo show naive-bayes --n 64 --classes 10 --draw $(REPORT)/naive-bayes.png \
		--heatmap $(REPORT)/naive-bayes-dsep-given-y.png --given y
	$(BIN)/zoo show latent-class --n 64 --classes 10 --draw $(REPORT)/latent-class.png \
		--heatmap $(REPORT)/latent-class-dsep-given-z.png --given z
	$(BIN)/zoo show autoregressive --n 64 --conditional neural --hidden 64 \
		--draw $(REPORT)/autoregressive.png
	$(BIN)/zoo show bayesnet --network alarm --draw $(REPORT)/alarm.png \
		--heatmap $(REPORT)/alarm-dsep.png
	$(BIN)/zoo dsep bayesnet --network asia smoke dysp --given either
	@echo "drawings in $(REPORT)/"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# pytest exits 5 when it collects nothing; that is not a failure of the code under test.
test: lint
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest: no tests collected"; rc=0; fi; exit $$rc

clean:
	rm -rf $(VENV) $(REPORT) .pytest_cache .ruff_cache
