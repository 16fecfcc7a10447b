# Hotline 12319 — setup, run, test, lint, bench.
# Odoo 18.0 comes from ODOO_PATH, the usual places (/opt/odoo, ...) or Odoo's
# official source; PostgreSQL from PGHOST / odoo.conf or a local cluster in var/.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup run test lint bench load stop clean

help:
	@echo "make run    serve the suite with demo data on http://localhost:8069"
	@echo "make test   fresh test database, every addon's Odoo tests and tours, pytest suites"
	@echo "make test-asterisk [ASTERISK=/usr/sbin/asterisk]  live telephony suite on a real Asterisk"
	@echo "make lint   ruff and pylint-odoo's error checks"
	@echo "make bench  benchmarks (see docs/BENCHMARKS.md)"
	@echo "make load   load test: operators and department staff against Odoo workers behind nginx"
	@echo "make stop   stop the local PostgreSQL cluster"

setup:
	@bash scripts/setup.sh

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh

.PHONY: test-asterisk
test-asterisk:
	@ASTERISK="$(ASTERISK)" bash scripts/test_asterisk.sh

lint:
	@bash scripts/lint.sh

bench:
	@bash scripts/bench.sh

load:
	@bash scripts/load.sh

stop:
	@bash scripts/pg.sh stop

clean: stop
	rm -rf var
