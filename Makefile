# Two entry points: `make demo` (the main job on the bundled data) and `make test`.
# Each creates .venv when missing and is safe to run again.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REPORT ?= zoo-report
export PIP_DISABLE_PIP_VERSION_CHECK := 1
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: install demo test lint clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The benchmark peers (PyMC, nutpie, Pyro), never needed by the zoo or its tests. torch goes
# first, pinned: a plain torch requirement would pull a multi-GB CUDA build, while 2.13.0 is
# the CPU build pip finds on this machine.
.PHONY: bench-install bench
bench-install: install
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[bench]'

# The zoo against the peers, ratios measured in one run (BENCH_ARGS=--quick for a smoke run);
# raw numbers go to benchmarks/results/.
bench: bench-install
	$(BIN)/python benchmarks/nuts_peers.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/svi_peers.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/vae_torch.py $(BENCH_ARGS)

# The main job: every family fitted on the bundled digits, side by side in one table and one
# report (zoo-report/index.html), then one family's full card.
demo: install
	$(BIN)/zoo compare --out $(REPORT)
	$(BIN)/zoo fit naive-bayes --out $(REPORT)/naive-bayes
	@echo "open $(REPORT)/index.html"

# The documentation site (mkdocs.yml) into site/, strict: a warning, a broken link or anchor
# fails it. `make test` builds it too (tests/test_docs.py). The variable hides Material's banner.
.PHONY: docs
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# Debian's Chromium for the report's browser test (tests/browser.py drives it with Playwright);
# nothing to do where it is installed already.
browser:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser test"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  $(SUDO) apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy checks the packages in TYPED ([tool.mypy] in pyproject.toml: graphs strictly, zoo
# with every annotated function annotated fully).
# Two test processes, one file each at a time (module fixtures stay in one process): the
# suite is mostly single-threaded JAX compiles, so each of the two cores takes one process.
PYTEST_ARGS ?= -n 2 --dist loadfile
# pytest exits 5 when it collects nothing; that is not a failure of the code under test.
TYPED := graphs zoo
test: lint browser
	$(BIN)/mypy $(TYPED)
	$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest: no tests collected"; rc=0; fi; exit $$rc

clean:
	rm -rf $(VENV) $(REPORT) site .pytest_cache .ruff_cache .mypy_cache
