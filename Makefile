.PHONY: setup demo test bench check
setup:
	bash scripts/setup.sh
demo: setup
	.venv/bin/zonocomb demo
test: setup
	.venv/bin/python -m pytest -q
bench:
	.venv/bin/python benchmarks/enumeration.py
	.venv/bin/python benchmarks/faces.py --quick
	.venv/bin/python benchmarks/region_solve.py --quick
check:
	.venv/bin/zonocomb check
