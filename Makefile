# netcensus — the front door. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the test suite and the lab use; installed when missing and running as root.
# libwireshark-data ships the IANA enterprise-number registry (enterprises.tsv) the scanner names vendors by.
# chromium: the dashboard's end-to-end tests drive it headless with Playwright.
DEB_PACKAGES := nmap snmpd snmp iproute2 nftables arp-scan libwireshark-data chromium
# Reference tools the benchmarks compare against (not needed by the tests).
BENCH_DEB_PACKAGES := fusioninventory-agent fusioninventory-agent-task-network
PYTEST_ARGS ?=

.PHONY: help install sysdeps run demo test lint typecheck proto proto-check bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[agent,collector,dev]'
	@touch $(STAMP)

install: $(STAMP) sysdeps ## create .venv/ with both console scripts (netcensus, netcensus-agent); Debian packages as root

sysdeps: ## install missing Debian packages (root only; skipped otherwise)
	@missing=""; for p in $(DEB_PACKAGES) $(EXTRA_DEB); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "sysdeps: not root, skipping:$$missing (their tests will skip)"; exit 0; fi; \
	echo "sysdeps: installing$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $$missing >/dev/null

run: install ## the main job end to end on the embedded default (also sweeps a namespace lab as root)
	$(BIN)/netcensus demo

demo: run

test: install sysdeps proto-check lint typecheck ## install what is missing, check lint/types/stubs, run the whole suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install ## ruff over our code (generated stubs excluded)
	$(BIN)/ruff check agent collector tests bench proto/codegen.py proto/netcensus/tls_probe.py

typecheck: install ## mypy --strict over agent and collector
	$(BIN)/mypy

proto: install ## regenerate the protobuf/gRPC stubs from proto/netcensus/v1/*.proto
	$(BIN)/python proto/codegen.py

proto-check: install ## fail when the committed stubs differ from what `make proto` makes
	$(BIN)/python proto/codegen.py --check

bench: install ## run every benchmark; each prints our figure beside the reference tool's
	@$(MAKE) --no-print-directory sysdeps EXTRA_DEB="$(BENCH_DEB_PACKAGES)"
	$(BIN)/python -m pip install -q -e '.[agent,collector,dev,bench]'
	$(BIN)/python -m bench

clean: ## remove the venv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
