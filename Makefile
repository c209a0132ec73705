# DubStudio — the two commands of the README:
#   make run    set up (system packages, .venv, offline models), dub the bundled sample into Spanish, open it
#   make test   set up, then run the whole test suite (GUI tests under Xvfb)
# Every step is idempotent: a second run only checks and goes on.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
SAMPLE := resources/sample/dialogue.mp4
SAMPLE_OUT := out/sample

.PHONY: run test setup system venv bytecode models lint clean-venv

run: setup
	$(PY) -m dubstudio dub $(SAMPLE) --to es --out $(SAMPLE_OUT)
	@if [ -n "$$DISPLAY" ] || [ -n "$$WAYLAND_DISPLAY" ]; then \
		$(PY) -m dubstudio open $(SAMPLE_OUT); \
	else \
		echo "No display: the editor was not opened. Outputs are in $(SAMPLE_OUT)/:"; \
		ls -1 $(SAMPLE_OUT); \
		echo "Open them later with: $(PY) -m dubstudio open $(SAMPLE_OUT)"; \
	fi

# The suite runs offline: the download cache it installs models from is completed here first.
# One pytest-xdist worker per 4 cores: each loads its own models and runs them on 2 threads, so on
# 2 cores the suite runs in this process (two workers there took twice as long: 37 vs 18 minutes).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) / 4 )))
test: setup
	$(PY) tests/support/prefetch_wheels.py
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup

setup: system venv bytecode models

system:
	@bash packaging/debian-deps.sh

venv: $(VENV)/.installed

# uv installs the same packages as pip from the same index, but from its cache (~/.cache/uv) in
# seconds: pip unpacks torch's 3 GB of CUDA libraries again for every new venv (about 5 minutes).
# --compile-bytecode does what pip does by default: where PYTHONDONTWRITEBYTECODE is set (this
# machine's environment), Python never caches what it compiles, so every process (each CLI dub, each
# recognition child, each batch worker) compiled torch, scipy and the rest again: 5 of a small dub's 17 s.
$(VENV)/.installed: pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) is needed (DubStudio runs on Python 3.11)." >&2; exit 1; }
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet 'uv==0.13.9'
	$(UV) pip install --python $(PY) --quiet --upgrade pip
	# The torch stack first, pinned as a set (pyannote.audio 4 needs the matching torchaudio).
	$(UV) pip install --python $(PY) --quiet --compile-bytecode --constraint constraints.txt torch==2.9.1 torchaudio==2.9.1 torchcodec==0.8.1
	$(UV) pip install --python $(PY) --quiet --compile-bytecode --constraint constraints.txt -e '.[dev,lipsync,cluster]'
	@touch $@

# DubStudio's own modules, compiled for the same reason (an editable install leaves them to Python);
# compileall skips what is already up to date.
bytecode: venv
	$(PY) -m compileall -q dubstudio

models: venv
	$(PY) -m dubstudio models install
	$(PY) -m dubstudio models verify

lint: venv
	$(VENV)/bin/ruff check dubstudio tests bench

clean-venv:
	rm -rf $(VENV)
