# Passnum — two commands: `make demo` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test lint format bench setup venv assets chromium demo-data serve worker clean

setup: venv assets

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 est requis ($(PYTHON) introuvable)."; exit 1; }
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	@touch $@

assets: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.env:
	@printf '# Réglages locaux de développement (jamais commités). Voir README.md.\nDEBUG=1\n' > .env
	@echo "Fichier .env créé (DEBUG=1)."

demo-data: setup .env
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py import_communes --if-empty
	$(PY) manage.py import_qpv geo/data/qpv_demo.csv
	$(PY) manage.py demo

demo: demo-data
	@echo
	@echo "Passnum est servi sur http://$(HOST):$(PORT)/ (Ctrl+C pour arrêter)."
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: setup .env
	$(PY) manage.py db_worker

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installation de Chromium (paquet Debian) pour les tests navigateur…"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || { echo "Impossible d'installer chromium."; exit 1; }; \
	  else \
	    echo "Chromium est requis pour les tests navigateur : sudo apt-get install chromium"; exit 1; \
	  fi; \
	fi

test: setup chromium
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) node_modules var staticfiles
