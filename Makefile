.PHONY: setup demo test bench check mutate
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
# Mutation testing (docs/testing.md), by hand, not in CI: hours for the whole scope, niced on one
# core. `make mutate PKG=theory` runs one package's mutants only; `make mutate PKG=geometry
# SAMPLE=150 [SEED=16]` a seeded random sample of them (an estimate with a 95 % interval, not the
# record). Scope: setup.cfg's [mutmut]. mutmut copies a non-Python file into mutants/ only once,
# so those (the kernel's source and build, the paper's tables) are refreshed there first.
mutate: setup
	if [ -d mutants/zonocomb ]; then find zonocomb -type f ! -name '*.py' ! -path '*__pycache__*' -exec cp --parents {} mutants/ \;; fi
ifdef SAMPLE
	.venv/bin/python scripts/mutation_sample.py $(PKG) --sample $(SAMPLE) $(if $(SEED),--seed $(SEED))
else
	nice -n 19 .venv/bin/mutmut run --max-children 1 $(if $(PKG),"zonocomb.$(PKG).*")
	.venv/bin/mutmut results --all True | awk -F': ' '$$2 != "not checked" && $$2 != "skipped" { \
		split($$1, name, "."); pkg = name[2]; n[pkg]++; if ($$2 == "killed" || $$2 == "timeout") k[pkg]++ } \
		END { for (p in n) printf "%-12s %6d mutants %6.1f %% killed\n", p, n[p], 100 * k[p] / n[p] }'
endif
