.PHONY: setup test
setup:
	bash scripts/setup.sh

# The whole test suite; sets up first when .venv is missing (CI runs this on a clean clone).
test:
	@[ -x .venv/bin/chithi ] || bash scripts/setup.sh
	.venv/bin/python -m pytest -q
