# The two commands a user runs on a fresh Debian 12 machine (as root): `make demo` and `make test`.
# While changing the code: `make check` (no root, no apt, under a minute).
PY := venv/bin/python
HULB := venv/bin/ha-udp-lb

.PHONY: setup venv demo test check lint typecheck

setup:
	@scripts/setup.sh

venv:
	@scripts/venv.sh

demo: setup
	$(HULB) lab demo

# Everything, as CI runs it: the daemons judging every rendered file, the lab's drills, the docker check.
test: setup lint typecheck
	$(PY) -m pytest -q -ra --durations=20

# Lint, types, and every test that needs neither root nor the daemons: the config reader, rendering and
# goldens, the program under Pulumi's mocks, the slot table, the agent's verdicts, the drills' analysis.
check: venv lint typecheck
	$(PY) -m pytest -q -m "not daemons and not lab and not docker and not hosts and not engine"

lint:
	$(PY) -m ruff check .

typecheck:
	$(PY) -m mypy .
