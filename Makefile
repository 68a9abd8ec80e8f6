# Quick start:  make demo   (release, grade a synthetic class, report)
#               make test   (the kit's test suite, through real nbgrader)
# Each creates .venv from requirements.txt the first time.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: demo test release lecture student clean sandbox browser cluster bench

$(VENV)/.installed: requirements.txt
	@echo "Setting up $(VENV): installing the pinned packages of requirements.txt"
	@echo "(NumPy, Jupyter, nbgrader, Matplotlib, scikit-learn, pytest). This takes a"
	@echo "couple of minutes and happens once; pip works quietly meanwhile."
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@# Let every kernel of this environment import the kit's utils (lectures, source/).
	$(PY) -c "import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()['purelib'], 'nn_course_kit.pth').write_text('$(CURDIR)\n')"
	@# Jupyter refuses to run as root unless told; a course set up as root (a
	@# container, CI) may start this environment's JupyterLab and formgrader.
	@if [ "$$(id -u)" = 0 ]; then mkdir -p $(VENV)/etc/jupyter \
	  && echo '{"ServerApp": {"allow_root": true}}' > $(VENV)/etc/jupyter/jupyter_server_config.json; fi
	touch $@

# Grading kernels run under bubblewrap; install it where we can (root, apt).
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && apt-get install -y -qq bubblewrap) >/dev/null 2>&1; } \
	  || echo "note: bubblewrap is not installed; grading kernels will not be sandboxed"

# The browser tests drive Debian's Chromium through Playwright (which never
# downloads a browser of its own); install both where we can.
$(VENV)/.browser: requirements-browser.txt $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-browser.txt
	touch $@

browser: $(VENV)/.browser
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && echo "Installing Chromium for the browser tests (about a minute)" \
	  && (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1; } \
	  || echo "note: chromium is not installed; the browser tests will be skipped"

# A gradebook on PostgreSQL and grading on other machines (Dask) need a few
# more packages: requirements-cluster.txt, pinned.  The tests use them too.
$(VENV)/.cluster: requirements-cluster.txt $(VENV)/.installed
	@echo "Installing requirements-cluster.txt (psycopg for a PostgreSQL gradebook, Dask)"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-cluster.txt
	touch $@

# The PostgreSQL tests start a throwaway server of Debian's postgresql package.
cluster: $(VENV)/.cluster
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && echo "Installing PostgreSQL for the gradebook tests (about a minute)" \
	  && (apt-get update -qq && apt-get install -y -qq postgresql) >/dev/null 2>&1; } \
	  || echo "note: PostgreSQL is not installed; the PostgreSQL gradebook tests will be skipped"

demo: $(VENV)/.installed sandbox
	$(PY) -m utils demo

# Grade a synthetic class with stock nbgrader and with the kit, and compare
# (seconds per notebook, and a floor: the cells alone).  Options go in
# BENCH_ARGS, e.g. make bench BENCH_ARGS="--students 24 --jobs 2".
bench: $(VENV)/.installed sandbox
	$(PY) benchmarks/class_autograde.py $(BENCH_ARGS)

test: $(VENV)/.installed sandbox browser cluster
	$(PY) -m pytest

release: $(VENV)/.installed
	$(PY) -m utils release

# Lecture mode: solved, executed copies of the notebooks, and an offline site
# (pages, slides, handouts).  Rebuilt when a notebook, a student module or
# the lecture code changes; a failed build leaves no index behind.
LECTURE := build/lecture
.PHONY: lecture-site

$(LECTURE)/index.html: $(VENV)/.installed $(wildcard source/*/*.ipynb release/*/*.ipynb) \
                       $(wildcard utils/*.py) utils/conventions.md
	$(PY) -m utils lecture --output $(LECTURE) || { rm -f $@; exit 1; }

lecture-site: $(LECTURE)/index.html
	@echo "Lecture site: $(abspath $(LECTURE))/index.html"

lecture: lecture-site
	$(VENV)/bin/jupyter lab $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LECTURE)/notebooks

# A student's view: a home in build/student with its own Jupyter settings
# (the student nbgrader config: Assignments, Validate, Submit against the
# course's exchange) and a copy of release/, opened in JupyterLab.
student: $(VENV)/.installed
	$(PY) -m utils.student_setup home build/student

clean:
	rm -rf build gradebook.db grading_status.json grades.csv grades reports \
	  submission_times.json submitted feedback exchange downloaded
