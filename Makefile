# choshu — make demo: a working system on SQLite; make test: the whole suite on SQLite (and PostgreSQL).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_PERSONS ?= 3000
export CHOSHU_DEBUG ?= 1

.PHONY: demo test install install-test lint clean-demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

demo: install
	@test -f /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf || echo "note: install fonts-ipaexfont for PDF receipts"
	$(BIN)/choshu migrate --verbosity 0
	$(BIN)/choshu seed --persons $(DEMO_PERSONS) --seed 1 --if-empty
	$(BIN)/choshu demousers
	$(BIN)/choshu runserver 127.0.0.1:$(PORT) --insecure

test: install-test
	$(BIN)/pytest
	@if [ -n "$$CHOSHU_TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$CHOSHU_TEST_DATABASE_URL"; \
		CHOSHU_DATABASE_URL="$$CHOSHU_TEST_DATABASE_URL" $(BIN)/pytest; fi

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
