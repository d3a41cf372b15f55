# The two set-up commands: `make run` and `make test` (see README).
PYTHON ?= python3
# pytest-xdist processes for `make test`: one per core of the 2-core CI machine; each has its own databases.
TEST_WORKERS ?= 2
VENV := .venv
BIN := $(VENV)/bin
# What `make run` installs (pyproject.toml's extras): the standalone demo node plans courier routes too.
# A store alone: RUN_EXTRAS=store; with USB receipt printers: RUN_EXTRAS=store,usb.
RUN_EXTRAS ?= store,hq,dispatch
# uv installs (seconds, where pip takes minutes) and writes the lock; it lives in .tools, outside the venv.
UV_VERSION := 0.13.9
UV ?= .tools/bin/uv
# Every installed version comes from the lock; `make lock` rewrites it after pyproject.toml changes.
INSTALL := $(UV) pip install --quiet --python $(BIN)/python --constraint requirements.lock
LOCK := $(UV) pip compile --quiet pyproject.toml --all-extras --custom-compile-command "make lock"
# The dependencies of pyproject.toml's extras, without installing the project itself: the code runs from the
# checkout, so nothing in the venv points at one particular clone.
comma := ,
extras = -r pyproject.toml $(foreach extra,$(subst $(comma), ,$(1)),--extra $(extra))
export FLASK_APP := pos:create_app

.PHONY: run test test-fast lock lock-check migrate demo translations bench clean

.tools/bin/uv:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
		--target .tools uv==$(UV_VERSION)

$(BIN)/python: | $(UV)
	$(UV) venv --quiet --python $(PYTHON) $(VENV)

# The runtime only: no pytest, Playwright or Schemathesis in a node's virtualenv.
$(VENV)/.installed-run: pyproject.toml requirements.lock | $(BIN)/python
	$(INSTALL) $(call extras,$(RUN_EXTRAS))
	touch $@

# The tests' tools, emulators and fakes on top of what `make run` installs.
$(VENV)/.installed-test: pyproject.toml requirements.lock | $(BIN)/python
	$(INSTALL) $(call extras,test$(comma)dispatch$(comma)simulators$(comma)usb$(comma)$(RUN_EXTRAS))
	touch $@ $(VENV)/.installed-run

translations: $(VENV)/.installed-run
	@if [ -d pos/translations ]; then $(BIN)/pybabel compile --statistics -d pos/translations -D messages 2>&1 | tail -n +1; fi

migrate: $(VENV)/.installed-run
	$(BIN)/alembic upgrade head

demo: migrate
	$(BIN)/flask demo load
	mkdir -p instance
	set -a && . scripts/ua-demo.env && $(BIN)/alembic upgrade head && $(BIN)/flask demo load

# Serve the node with emulated devices (POS_HOST/HOST and POS_PORT/PORT, default 127.0.0.1:5000) and the
# background worker beside it; Ctrl+C stops both, and only them.
run: $(VENV)/.installed-run translations demo
	@$(BIN)/python -c "from pos.config import read_settings as r; s = r(); \
	print(f'Cashier page: http://{s.host}:{s.port}/  (demo credentials: demo/1234, manager boss/9999)')"
	@echo "Ukrainian store (Checkbox PRRO emulated): http://127.0.0.1:5001/  (the same credentials)"
	@BIN=$(BIN) scripts/run-node scripts/ua-demo.env

test: $(VENV)/.installed-test translations
	scripts/ensure-chromium
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Unit tests only: no database server, no browser, no subprocesses.
test-fast: $(VENV)/.installed-test translations
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

# After editing pyproject.toml's dependencies: pins what changed, keeps every other pin.
lock: | $(UV)
	$(LOCK) --output-file requirements.lock

# CI: the lock is what `make lock` would write from pyproject.toml as it is now.
lock-check: | $(UV)
	mkdir -p .tools && cp requirements.lock .tools/lock-check.txt
	$(LOCK) --output-file .tools/lock-check.txt
	@diff -u requirements.lock .tools/lock-check.txt \
		|| { echo "requirements.lock does not match pyproject.toml: run 'make lock' and commit it" >&2; exit 1; }

bench: $(VENV)/.installed-test
	$(BIN)/python bench/checkout.py

clean:
	rm -rf $(VENV) .tools instance .pytest_cache
