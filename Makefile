# Quick start: `make run` (dashboard with demo data) and `make test` (everything).
.PHONY: setup run test demo bench

setup:
	scripts/setup.sh

run:
	scripts/run.sh

test:
	scripts/test.sh

demo: setup
	.venv/bin/python -m geo demo --accounts-file data/demo-accounts.txt

bench: setup
	.venv/bin/python bench/ingest.py --n 100000
	.venv/bin/python bench/summary.py --n 100000
	.venv/bin/python bench/map.py --n 50000
