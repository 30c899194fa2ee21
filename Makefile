.PHONY: setup test lint
setup:
	bash scripts/setup.sh

# The whole test suite; sets up first when .venv is missing (CI runs this on a clean clone).
test:
	@[ -x .venv/bin/chithi ] || bash scripts/setup.sh
	.venv/bin/python -m pytest -q

# ruff and mypy on the package (CI runs them after the tests).
lint:
	.venv/bin/ruff check pipeline
	.venv/bin/mypy
