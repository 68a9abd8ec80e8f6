# Quick start:  make demo   (release, grade a synthetic class, report)
#               make test   (the kit's test suite, through real nbgrader)
# Each creates .venv from requirements.txt the first time.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: demo test release lecture clean sandbox

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@# Let every kernel of this environment import the kit's utils (lectures, source/).
	$(PY) -c "import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()['purelib'], 'nn_course_kit.pth').write_text('$(CURDIR)\n')"
	touch $@

# Grading kernels run under bubblewrap; install it where we can (root, apt).
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && apt-get install -y -qq bubblewrap) >/dev/null 2>&1; } \
	  || echo "note: bubblewrap is not installed; grading kernels will not be sandboxed"

demo: $(VENV)/.installed sandbox
	$(PY) -m utils demo

test: $(VENV)/.installed sandbox
	$(PY) -m pytest

release: $(VENV)/.installed
	$(PY) -m utils release

lecture: $(VENV)/.installed
	$(VENV)/bin/jupyter lab source/

clean:
	rm -rf build gradebook.db grading_status.json grades.csv submitted feedback exchange
