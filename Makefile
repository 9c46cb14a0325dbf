# The two set-up commands of the README: `make run` and `make test`.
PY := .venv/bin/python

.PHONY: run test test-fast install install-dev bench train-gpu clean

install:
	bash scripts/install.sh app

install-dev:
	bash scripts/install.sh dev

run: install
	$(PY) app.py

test: install-dev
	.venv/bin/lint-imports
	$(PY) -m pytest -q

test-fast: install-dev
	$(PY) -m pytest -q -m "not slow"

bench: install-dev
	$(PY) benchmarks/latency.py
	$(PY) benchmarks/retrieval.py --items 10000

# data -> SFT -> judge pairs -> DPO -> GGUF export, each step resumable (training/gpu.py);
# *_gpu.yaml configs on CUDA. Extra flags: make train-gpu ARGS="--max-steps 50"
train-gpu: install-dev
	$(PY) -m training.gpu $(ARGS)

clean:
	rm -rf .venv
