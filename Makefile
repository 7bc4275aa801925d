# Two commands on a fresh machine (each does the set-up it needs):
#   make book   - build the book into _build/html (trains every model, executes every chapter)
#   make test   - run the test suite (includes building the book, which the tests check)
# Offline? Point ZEROHERO_DATA_MIRROR at a folder holding names.txt and tinyshakespeare.txt.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# MPLBACKEND=Agg would silently drop every figure from the book.
RUN    := env -u MPLBACKEND

.PHONY: book test setup data train chapter bench clean
.DEFAULT_GOAL := book

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

data: setup
	$(RUN) $(PY) -m zerohero.data

train: data
	$(RUN) $(PY) -m zerohero.build.runs

book: data
	$(RUN) $(PY) -m zerohero.build.book build

test: train
	$(RUN) $(PY) -m pytest

# make chapter CH=book/03_mlp.md : execute one chapter while editing it
chapter: data
	$(RUN) $(PY) -m zerohero.build.book execute $(CH)

bench: data
	$(RUN) $(PY) -m zerohero.bench

clean:
	rm -rf _build .runs
