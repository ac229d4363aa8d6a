# `make run`, `make test` and `make lint` work on a fresh machine: they create .venv and install what they
# need (Python packages; redis-server, PostgreSQL, nginx, coturn, and Chromium and espeak-ng for
# the browser tests, from Debian's packages).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
APT_PACKAGES := redis-server postgresql nginx-light wrk coturn chromium espeak-ng iproute2
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: run test lint migrate bench install system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --only-binary av -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/voxhub serve

migrate: install
	$(BIN)/voxhub migrate

# Test servers are started and stopped by the tests themselves (tests/fixtures/).
system-deps:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx-light"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	command -v turnserver >/dev/null || [ -x /usr/bin/turnserver ] || missing="$$missing coturn"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

test: install system-deps
	$(BIN)/python -m pytest -q

# Style, the layers (import-linter contracts in pyproject.toml) and the types (mypy).
lint: install
	$(BIN)/ruff check app workers tests bench
	$(BIN)/ruff format --check app workers tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: install system-deps
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench all

clean:
	rm -rf $(VENV) var .pytest_cache
