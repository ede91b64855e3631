# The two commands a user runs (as root, on Debian 12): `make demo` and `make test`.
PY := venv/bin/python

.PHONY: setup demo test lint typecheck

setup:
	@scripts/setup.sh

demo: setup
	$(PY) -m lab demo

test: setup lint typecheck
	$(PY) -m pytest -q -ra

lint:
	$(PY) -m ruff check .

typecheck:
	$(PY) -m mypy .
