"""What only the instructor's machine runs: grading.  Never ships to students.

One concern a module, in the order a submission meets them:

- :mod:`.intake`    a submission folder is hostile data: regular files only,
  names checked, copied privately before anything reads it;
  :mod:`.downloads` a learning platform's download, every upload vetted,
  imported through nbgrader's ``zip_collect`` (``import-zips``);
- :mod:`.unit`      one notebook graded: the pure unit of work (task in,
  result out, no gradebook), run by :mod:`.executors` here or on Dask;
- :mod:`.coordinator` autograde: submissions in, units of work out, results
  checked and stored once; :mod:`.outcome` the typed record of what happened
  to each submission, which every remark, flag and export is rendered from;
  :mod:`.progress` durations and the progress bar of long runs;
- :mod:`.sandbox`   the clean room a grading kernel runs in;
- :mod:`.kernels`   sandboxed kernels started ahead, one notebook each;
- :mod:`.execute`   student cells in the kernel, test cells in the grader;
- :mod:`.remote`, :mod:`.agent`, :mod:`.wire`  the grader's requests to the
  kernel and the plain data that comes back;
- :mod:`.verdict`   a test cell run in the grading process, and its outcome;
- :mod:`.guard`     in-kernel watch for replaced functions (flags only);
- :mod:`.sanitize`  clean-up of submitted notebooks before grading;
- :mod:`.feedback`  feedback from verdicts and the student's own work;
- :mod:`.gradebook` the gradebook wherever ``db_url`` points (SQLite,
  PostgreSQL), and moving it;
- :mod:`.deadlines` due dates, extensions, late penalties, and when each
  student submitted (from the course's record, never the submission);
- :mod:`.report`    scores out of the gradebook: per cell, per notebook, a
  record per enrolled student, the terminal table;
- :mod:`.exports`   the roster in, totals and LMS files (Canvas, generic) out;
- :mod:`.similarity` look-alike answers, for the instructor to judge;
- :mod:`.class_report` the HTML class report and its terminal summary;
- :mod:`.reference` the reference answers the tests compare with;
- :mod:`.feedback_release` and :mod:`.acl` feedback handed out by the
  submission's secret, each page readable by its student alone;
- during the assignment window, :mod:`.service` (``python -m utils serve``)
  grades each submission as it arrives: :mod:`.arrivals` finds and takes
  them in, :mod:`.submission_queue` keeps them and says which goes next,
  :mod:`.live_settings` the rate limit and what students see,
  :mod:`.live_pages` the pages each student fetches.

Outside this package the grader imports only the leaves of ``utils``
(``course``, ``checks``, ``earlier``, ``offline``, ``prerequisites``), which
import nothing of it; see docs/architecture.md.
"""
