# Two commands do everything on a fresh machine with Python 3.11:
#   make serve   install (.venv from requirements.txt), compute missing or stale figures, serve on :8000
#                (another port: make serve PORT=8001)
#   make test    install, lint (ruff), then run the whole test suite (what CI runs)
# Other targets: make build (strict site in site/), make figures, make check, make verify, make train, make bench.

PYTHON ?= python3.11
PORT   ?= 8000
export NO_MKDOCS_2_WARNING := 1  # Material prints an end-of-life banner on every build
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: serve test lint build figures check verify train zoo bench clean note

$(STAMP): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH (or: make PYTHON=python3 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .  # the MkDocs plugin `figures` (pyproject.toml)
	touch $(STAMP)

serve: $(STAMP)
	$(PY) -m scripts.engine build
	$(VENV)/bin/mkdocs serve --dev-addr 127.0.0.1:$(PORT)

test: lint
	$(PY) -m pytest

lint: $(STAMP)  # ruff, configured in pyproject.toml
	$(VENV)/bin/ruff check .

build: $(STAMP)
	$(VENV)/bin/mkdocs build --strict

figures: $(STAMP)
	$(PY) -m scripts.engine build

check: $(STAMP)
	$(PY) -m scripts.engine check

verify: $(STAMP)  # recompute every figure into .cache/verify and compare with what is committed
	$(PY) -m scripts.engine verify

train: $(STAMP)  # train stale artifacts (models/; figures/models.yml) — never done by serve or build
	$(PY) -m scripts.engine train

zoo: train

bench: $(STAMP)
	$(PY) -m scripts.bench.site
	$(PY) -m scripts.bench.zoo
	$(PY) -m scripts.bench.grokking
	$(PY) -m scripts.bench.toy
	$(PY) -m scripts.bench.sae

note: $(STAMP)
	@test -n "$(TITLE)" || { echo 'usage: make note TITLE="Title of the note" [PAPER=https://...] [PAPER_TITLE="Title of the paper"]'; exit 2; }
	$(PY) -m scripts.authoring.new_note "$(TITLE)" --paper "$(PAPER)" --paper-title "$(PAPER_TITLE)"

clean:
	rm -rf site .cache
