# Everything runs in virtual environments of its own; a fresh machine needs only Python 3.11 and pip.
PYTHON ?= python3

# The test matrix: orchestrator-core 5.5.0 (alembic 1.20; the default, development environment .venv),
# 4.8.2 (alembic 1.18.4; .venv-4.8) and 4.4.2 (alembic 1.16.1, no plugin system: the register()
# switch; .venv-4.4). orchestrator-core 4.x resolves graphql-core 3.3 and oauth2-lib 3, with which it
# does not import, hence the pins. 5.0.3 (alembic 1.18.4; .venv-5.0), the release orchestrator-core's
# public example application pins, runs two end-to-end domain-model tests (the tutorial among them) only
# (its orchestrator-core takes twice as long to import, in every main.py the tests run).
ENVS ?= 5.5 4.8 4.4 5.0
VENV_5.5 := .venv
VENV_5.0 := .venv-5.0
VENV_4.8 := .venv-4.8
VENV_4.4 := .venv-4.4
PINS_5.5 := orchestrator-core==5.5.0
PINS_5.0 := orchestrator-core==5.0.3
PINS_4.8 := orchestrator-core==4.8.2 'graphql-core<3.3' 'oauth2-lib<3'
PINS_4.4 := orchestrator-core==4.4.2 'graphql-core<3.3' 'oauth2-lib<3'

define install
	$(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install --quiet --upgrade pip
	$(1)/bin/python -m pip install --quiet -e '.[test]' $(2)
	touch $(1)/.installed
endef

# orchestrator-core's `db revision` runs `python main.py db heads` and ruff through PATH. $(4): a
# command to run it under (`nice` for the shorter suites).
define pytest
	@echo "=== tests on $(2)"
	PATH="$(abspath $(1))/bin:$$PATH" $(4) $(1)/bin/python -m pytest $(3) $(PYTEST_ARGS)
endef

.PHONY: venv test test-5.5 test-4.8 test-4.4 test-5.0 demo lint bench mutants package cross-version compat clean

venv: .venv/.installed

.venv/.installed: setup.cfg pyproject.toml Makefile
	$(call install,.venv,$(PINS_5.5))

.venv-4.8/.installed: setup.cfg pyproject.toml Makefile
	$(call install,.venv-4.8,$(PINS_4.8))

.venv-4.4/.installed: setup.cfg pyproject.toml Makefile
	$(call install,.venv-4.4,$(PINS_4.4))

.venv-5.0/.installed: setup.cfg pyproject.toml Makefile
	$(call install,.venv-5.0,$(PINS_5.0))

# The README's test command, and what CI runs: the whole suite in every environment of the matrix,
# JOBS environments at a time (each with its own PostgreSQL; output kept together per environment).
# One environment, quickly: make test ENVS=5.5 (or make test-5.5). ALSO: more targets run in the same
# parallel run (CI's checks), started as environments finish, so no core idles while the last suite
# runs. 5.5.0's suite is the longest: the others run niced, so that it keeps a core of its own.
JOBS ?= 3
ALSO ?=
SHORTER := nice -n 10
# The environments are installed first: with every prerequisite up to date, make starts the goals in
# the order given (the longest suite first).
test:
	@$(MAKE) --no-print-directory -j$(JOBS) --output-sync=target $(foreach env,$(ENVS),$(VENV_$(env))/.installed)
	@$(MAKE) --no-print-directory -j$(JOBS) --output-sync=target $(addprefix test-,$(ENVS)) $(ALSO)

test-5.5: .venv/.installed
	$(call pytest,.venv,$(PINS_5.5))

# On the other releases, main.py runs of rules that the pure core decides (marked release_independent)
# are deselected: the same rules, the same SQL (which runs in-process on every release).
OTHER_RELEASE := -m "not release_independent"

test-4.8: .venv-4.8/.installed
	$(call pytest,.venv-4.8,$(PINS_4.8),$(OTHER_RELEASE),$(SHORTER))

test-4.4: .venv-4.4/.installed
	$(call pytest,.venv-4.4,$(PINS_4.4),$(OTHER_RELEASE),$(SHORTER))

# The tutorial from an empty product table, and the drift report and alembic check over domain models.
END_TO_END := tests/test_domain_models.py::test_tutorial_from_an_empty_product_table \
	tests/test_domain_models.py::test_drift_report_and_alembic_check_cover_domain_models

test-5.0: .venv-5.0/.installed
	$(call pytest,.venv-5.0,$(PINS_5.0),$(OTHER_RELEASE) $(END_TO_END),$(SHORTER))

demo: venv
	PATH="$(abspath .venv)/bin:$$PATH" .venv/bin/python scripts/demo.py

bench: venv
	PATH="$(abspath .venv)/bin:$$PATH" .venv/bin/python benchmarks/bench.py $(BENCH_ARGS)
	PATH="$(abspath .venv)/bin:$$PATH" .venv/bin/python benchmarks/upgrade.py $(UPGRADE_BENCH_ARGS)
	PATH="$(abspath .venv)/bin:$$PATH" .venv/bin/python benchmarks/domain.py $(DOMAIN_BENCH_ARGS)

# Hand-made mutations of the plugin, each applied to a temporary copy; the named tests must fail.
mutants: venv
	PATH="$(abspath .venv)/bin:$$PATH" .venv/bin/python scripts/mutants.py

# A revision generated on orchestrator-core 4.8.2 upgrades the application once it runs 5.5.0.
cross-version: .venv/.installed .venv-4.8/.installed
	PATH="$(abspath .venv)/bin:$$PATH" .venv/bin/python scripts/cross_version.py $(abspath .venv-4.8)/bin/python

# Not in CI: the end-to-end tutorial and domain-model tests on one release of every orchestrator-core
# minor (4.0 to the latest 5.x), each in .venv-compat/<release>; prints the table docs/compatibility.md keeps.
compat: venv
	.venv/bin/python scripts/compat.py $(COMPAT_RELEASES)

# The sdist and the wheel: metadata checked, the wheel installed into a fresh virtual environment.
package: venv
	PYTHON=$(PYTHON) bash scripts/check_package.sh

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

clean:
	rm -rf .venv .venv-* .pytest_cache .mypy_cache .ruff_cache *.egg-info
