# Two entry points that work on a fresh machine:
#   make plan STACK=prod   offline plan of one stack under Pulumi's mocks (no cloud, no CLI)
#   make test              every test, after installing the tools the tests drive
SHELL := /bin/bash
STACK ?= dev
CLOUD ?=
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: plan test e2e coverage deps dev-deps tools lint clean bench-backup mutation mutation-ci

$(VENV)/.runtime: requirements.txt
	python3 -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PIP) install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

deps: $(VENV)/.runtime
dev-deps: $(VENV)/.dev

tools:
	bash scripts/install-test-tools.sh

plan: deps
	$(PY) -m components.plan --stack $(STACK) $(if $(CLOUD),--cloud $(CLOUD))

test: dev-deps tools
	$(PY) -m pytest -q $(PYTEST_ARGS)

# The platform applied to this machine for real (root; README "What runs for real"): the real
# Pulumi CLI and language host, a real Docker engine, local images, a private registry, the
# host over SSH. Minutes, not seconds; CI runs it after `make test`.
e2e: dev-deps tools
	bash tests/e2e/run.sh $(PYTEST_ARGS)

# Same suite with line coverage of components/; fails under COV_MIN percent (CI runs this one).
COV_MIN ?= 80
coverage: dev-deps tools
	$(PY) -m pytest -q --cov=components --cov-report=term-missing --cov-fail-under=$(COV_MIN) $(PYTEST_ARGS)

# Backup/restore timings on a throwaway PostgreSQL (a benchmark, not a test).
bench-backup: dev-deps tools
	$(PY) scripts/bench_backup.py $(if $(ROWS),--rows $(ROWS))

# Mutation benchmark of the guardrails, firewall, backup naming/retention/manifest and the
# settings' cross-field checks (docs/testing.md): a score per group, the survivors, exit 1 under
# a group's minimum. Not part of `make test`: tens of minutes. MUTATION_ARGS="--group backup -j 2".
mutation: dev-deps tools
	$(PY) scripts/mutation.py $(MUTATION_ARGS)

# The CI subset: each group's own unit tests only (a few minutes); guardrails must score 100 %.
MUTATION_JOBS ?= 2
mutation-ci: dev-deps
	$(PY) scripts/mutation.py --fast -j $(MUTATION_JOBS) --group guardrails --group firewall --group backup $(MUTATION_ARGS)

# mypy reads its trees and strictness from pyproject.toml. zizmor runs offline (no GitHub API,
# so no token) and fails on medium and high findings; the low ones it reports today are style
# hints ("self-repository": write local actions as `$/...`), not security findings.
lint: dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/yamllint -s -c .yamllint.yml .
	$(VENV)/bin/mypy
	$(VENV)/bin/zizmor --offline --min-severity medium .

clean:
	rm -rf build .pytest_cache
