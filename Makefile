# Quick start:  make demo   (release, grade a synthetic class, report)
#               make test   (the kit's test suite, through real nbgrader)
# Each creates .venv from requirements.txt the first time.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: demo test test-fast release lecture student clean sandbox browser cluster bench

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

# The environment's python3 kernel gives test cells lend() and in_kernel(), as
# grading does: an instructor can run a source notebook top to bottom (Run
# All, nbgrader validate).  Grading kernels never load it.
$(VENV)/.instructor-kernel: $(VENV)/.installed utils/grader/instructor_kernel.py
	$(PY) -m utils.grader.instructor_kernel install
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

# An environment every user of the machine can run (students on a shared
# server, the exchange tests' student users): the Python that $(VENV) is
# built from may live where only its owner can read it (pyenv under root's
# home, mode 0700).  Its interpreter (without its tests and packages) is
# copied into $(SHARED_ENV)/python, its library found beside it ($ORIGIN
# instead of the old absolute path), and $(VENV) is copied into
# $(SHARED_ENV)/venv pointing at it; everything world-readable.  Rebuilt when
# $(VENV) is.  As root on a server: make shared-env SHARED_ENV=/opt/nn-kit
SHARED_ENV ?= build/shared
SHARED     := $(abspath $(SHARED_ENV))
.PHONY: shared-env

$(SHARED)/.ready: $(VENV)/.installed $(wildcard $(VENV)/.hub)
	@echo "Copying the course's Python and $(VENV) into $(SHARED) (a minute; about 1 GB)"
	rm -rf $(SHARED) && mkdir -p $(SHARED)/python
	base=$$($(PY) -c 'import sys; print(sys.base_prefix)') \
	  && ver=$$($(PY) -c 'import sys; print("python%d.%d" % sys.version_info[:2])') \
	  && tar -C "$$base" --exclude="lib/$$ver/test" --exclude="lib/$$ver/site-packages/*" -cf - \
	       "bin/$$ver" "lib/$$ver" $$(cd "$$base" && ls -d lib/libpython* 2>/dev/null) \
	     | tar -C $(SHARED)/python -xf - \
	  && $(PY) -c "import sys, pathlib; exe = pathlib.Path(sys.argv[1]); data = exe.read_bytes(); \
	       old = b'\0' + sys.argv[2].encode() + b'/lib\0'; new = b'\0\$$ORIGIN/../lib'; \
	       assert data.count(old) <= 1, 'several copies of the library path'; \
	       exe.write_bytes(data.replace(old, new.ljust(len(old) - 1, b'\0') + b'\0'))" \
	       "$(SHARED)/python/bin/$$ver" "$$base" \
	  && cp -a $(VENV) $(SHARED)/venv \
	  && ln -sfn "../../python/bin/$$ver" $(SHARED)/venv/bin/python3 \
	  && printf 'home = %s\ninclude-system-site-packages = false\nversion = %s\nexecutable = %s\n' \
	       "$(SHARED)/python/bin" "$$($(PY) -c 'import platform; print(platform.python_version())')" \
	       "$(SHARED)/python/bin/$$ver" > $(SHARED)/venv/pyvenv.cfg
	grep -lI "$(abspath $(VENV))" $(SHARED)/venv/bin/* | xargs -r sed -i "s|$(abspath $(VENV))|$(SHARED)/venv|g"
	@# Students import the utils/ of their assignment folder, never the course's.
	rm -f $(SHARED)/venv/.installed $(SHARED)/venv/.browser $(SHARED)/venv/.cluster \
	  $(SHARED)/venv/.instructor-kernel $(SHARED)/venv/.hub \
	  $(SHARED)/venv/lib/python*/site-packages/nn_course_kit.pth
	@# ... and a plain python3 kernel, without the instructor's test helpers.
	$(SHARED)/venv/bin/python -m ipykernel install --sys-prefix >/dev/null
	chmod -R a+rX $(SHARED)
	$(SHARED)/venv/bin/python -c "import nbgrader, numpy, jupyterlab"
	@if [ "$$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1; then \
	  runuser -u nobody -- $(SHARED)/venv/bin/nbgrader --version >/dev/null \
	  || { echo "error: another user cannot run $(SHARED)/venv: is every folder above it readable?"; exit 1; }; fi
	touch $@

shared-env: $(SHARED)/.ready
	@echo "Shared environment: $(SHARED)/venv/bin (nbgrader, jupyter, python)"

# The course's JupyterHub (README: "The course on a JupyterHub").  Its Python
# packages (requirements-hub.txt, pinned) go into $(VENV) and so into the
# shared environment its users' servers run from; its proxy is Node.js's
# configurable-http-proxy, pinned with its lock file in utils/hub/proxy/.
# Then JupyterHub starts with the settings of $(HUB_SETTINGS):
#   make hub SHARED_ENV=/opt/nn-kit HUB_SETTINGS=/etc/nn-kit/hub.toml
HUB_SETTINGS ?= /etc/nn-kit/hub.toml
.PHONY: hub hub-packages

$(VENV)/.hub: requirements-hub.txt $(VENV)/.installed
	@echo "Installing requirements-hub.txt (JupyterHub, its LTI login, PyLTI1p3)"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-hub.txt
	touch $@

build/hub/.proxy: utils/hub/proxy/package.json utils/hub/proxy/package-lock.json
	@command -v npm >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && echo "Installing Node.js for the hub's proxy (about a minute)" \
	  && (apt-get update -qq && apt-get install -y -qq nodejs npm) >/dev/null 2>&1; } \
	  || { echo "error: the hub's proxy needs Node.js and npm"; exit 1; }
	mkdir -p build/hub && cp utils/hub/proxy/package.json utils/hub/proxy/package-lock.json build/hub/
	cd build/hub && npm ci --no-audit --no-fund --loglevel=error
	touch $@

hub-packages: $(VENV)/.hub build/hub/.proxy

hub: hub-packages sandbox
	$(MAKE) shared-env
	NN_KIT_HUB="$(HUB_SETTINGS)" $(VENV)/bin/jupyterhub -f utils/hub/jupyterhub_config.py

demo: $(VENV)/.installed $(VENV)/.instructor-kernel sandbox
	$(PY) -m utils demo

# Grade a synthetic class with stock nbgrader and with the kit, and compare
# (seconds per notebook, and a floor: the cells alone).  Options go in
# BENCH_ARGS, e.g. make bench BENCH_ARGS="--students 24 --jobs 2".
bench: $(VENV)/.installed sandbox
	$(PY) benchmarks/class_autograde.py $(BENCH_ARGS)

# Every test (the README's test command; CI); the slowest 25 are listed at the end.
test: $(VENV)/.installed $(VENV)/.instructor-kernel sandbox browser cluster hub-packages
	$(PY) -m pytest --durations=25

# The fast tier (pytest -m fast): no kernel and no server process, about a
# minute on 2 cores.  CI runs it first: a broken decoder fails in minutes.
test-fast: $(VENV)/.installed $(VENV)/.instructor-kernel $(VENV)/.hub
	$(PY) -m pytest -m fast

release: $(VENV)/.installed $(VENV)/.instructor-kernel
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

# The lecture's JupyterLab loads none of nbgrader (no formgrader, Create
# Assignment, course or assignment list: the notebooks are not a course, and
# formgrader would log that the course root is outside the server's root):
# utils/lecture_jupyter/ turns them off for this server only.
lecture: lecture-site
	JUPYTER_CONFIG_PATH="$(CURDIR)/utils/lecture_jupyter$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  $(VENV)/bin/jupyter lab $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LECTURE)/notebooks

# A student's view: a home in build/student with its own Jupyter settings
# (the student nbgrader config: Assignments, Validate, Submit) and a copy of
# release/, opened in JupyterLab.  lab1 is released into the home's own
# exchange (build/student/exchange), so the Assignments tab lists it; the
# course's exchange/ is left alone.  STUDENT_RELEASE="lab1 lab2" for more.
STUDENT_RELEASE ?= lab1
student: $(VENV)/.installed
	$(PY) -m utils.student_setup home build/student $(foreach a,$(STUDENT_RELEASE),--release $(a))

clean:
	rm -rf build gradebook.db grading_status.json grades.csv grades reports \
	  submission_times.json submitted feedback exchange downloaded
