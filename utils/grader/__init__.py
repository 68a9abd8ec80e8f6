"""What only the instructor's machine runs: grading.  Never ships to students.

One concern a module, in the order a submission meets them:

- :mod:`.intake`    a submission folder is hostile data: regular files only,
  names checked, copied privately before anything reads it;
- :mod:`.unit`      one notebook graded: the pure unit of work (task in,
  result out, no gradebook), run by :mod:`.executors` here or on Dask;
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
- :mod:`.reference` the reference answers the tests compare with.
"""
