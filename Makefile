# The two set-up commands: `make run` and `make test` (see README).
PYTHON ?= python3
# pytest-xdist processes for `make test`: one per core of the 2-core CI machine; each has its own databases.
TEST_WORKERS ?= 2
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := pos:create_app

.PHONY: run test migrate demo translations serve worker bench clean

# The Ukrainian demo store: a node of its own (its country sets currency, VAT and language) whose till T1
# fiscalises on the Checkbox emulator the node starts itself (emulator://checkbox); served on port 5001.
UA_DEMO := POS_COUNTRY=UA POS_STORE_CODE=UA1 POS_STORE_NAME="Демо-магазин" \
	POS_STORE_ADDRESS="вул. Хрещатик, 1, Київ" POS_STORE_TAX_ID=UA1234567890 \
	POS_DATABASE_URL=sqlite:///$(CURDIR)/instance/pos-ua.sqlite3 POS_DEVICE_DIR=$(CURDIR)/instance/devices-ua

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

translations: $(BIN)/.installed
	@if [ -d pos/translations ]; then $(BIN)/pybabel compile --statistics -d pos/translations -D messages 2>&1 | tail -n +1; fi

migrate: $(BIN)/.installed
	$(BIN)/alembic upgrade head

demo: migrate
	$(BIN)/flask demo load
	mkdir -p instance
	env $(UA_DEMO) $(BIN)/alembic upgrade head
	env $(UA_DEMO) $(BIN)/flask demo load

# Serve the node on 127.0.0.1:5000 with emulated devices, and the background worker beside it.
# One worker process: a till's serial port or in-process emulator can be driven by one process only.
run: $(BIN)/.installed translations demo
	@echo "Cashier page: http://127.0.0.1:5000/  (demo credentials: demo/1234, manager boss/9999)"
	@echo "Ukrainian store (Checkbox PRRO emulated): http://127.0.0.1:5001/  (the same credentials)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/python -m sync & \
	env $(UA_DEMO) $(BIN)/python -m sync & \
	env $(UA_DEMO) $(BIN)/gunicorn --bind 127.0.0.1:5001 --worker-class gthread --workers 1 --threads 32 \
		wsgi:app & \
	$(BIN)/gunicorn --bind 127.0.0.1:5000 --worker-class gthread --workers 1 --threads 32 \
		--access-logfile - wsgi:app

test: $(BIN)/.installed translations
	scripts/ensure-chromium
	$(BIN)/pip install --quiet -r requirements-usb.txt
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: $(BIN)/.installed
	$(BIN)/python bench/checkout.py

clean:
	rm -rf $(VENV) instance .pytest_cache
