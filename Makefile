# Two entry points that work on a fresh machine:
#   make plan STACK=prod   offline plan of one stack under Pulumi's mocks (no cloud, no CLI)
#   make check             every test: lint, the fast suite, the slow suite, the mutation gate and
#                          the real-engine e2e (what CI runs, .ci/run), installing what each needs
#   make test              the fast suite alone (minutes), after installing the tools the tests drive
SHELL := /bin/bash
STACK ?= dev
CLOUD ?=
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: plan check test test-slow bench-plan e2e coverage deps dev-deps tools lint clean bench-backup mutation mutation-ci

# scripts/venv.sh: a fresh clone links a venv cached per requirement set (~/.cache/xqfc/venv).
$(VENV)/.runtime: requirements.txt
	bash scripts/venv.sh $(VENV)
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	bash scripts/venv.sh $(VENV) dev
	touch $@

deps: $(VENV)/.runtime
dev-deps: $(VENV)/.dev

tools:
	bash scripts/install-test-tools.sh

plan: deps
	$(PY) -m components.plan --stack $(STACK) $(if $(CLOUD),--cloud $(CLOUD))

# Workers of pytest-xdist, one per core; whole files go to one worker, so each file's servers
# and plans start once. TEST_WORKERS=0 runs in this process. The tests marked `slow` (minutes
# of real servers or whole-suite subprocesses, pytest.ini) are `make test-slow`; CI runs both.
TEST_WORKERS ?= auto
XDIST = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

test: dev-deps tools
	$(PY) -m pytest -q $(XDIST) -m "not e2e and not slow" $(PYTEST_ARGS)

# Every test, in the order that fails fastest; CI's entry point (.ci/run) is this target.
check:
	$(MAKE) lint
	$(MAKE) test
	$(MAKE) test-slow
	$(MAKE) mutation-ci
	$(MAKE) e2e

test-slow: dev-deps tools
	$(PY) -m pytest -q $(XDIST) -m "slow and not e2e" $(PYTEST_ARGS)

# Offline plan time against a bare import of the SDKs each stack uses (a benchmark, not a test).
bench-plan: deps
	$(PY) scripts/bench_plan.py $(BENCH_PLAN_ARGS)

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
