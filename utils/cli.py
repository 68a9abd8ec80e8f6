"""The instructor's command line: ``python -m utils <command>``.

Commands: ``release``, ``autograde``, ``feedback``, ``report`` (the class
report), ``grades`` (spreadsheet and LMS exports), ``roster`` (the enrolled
students), ``serve`` (the grading service: each submission graded as it
arrives), ``demo``, ``import-zips`` (submissions downloaded from an LMS),
``lms-sync`` (scores posted to the LMS over LTI Advantage), ``migrate-gradebook``
(the gradebook copied into PostgreSQL), ``lecture`` (the
lecture notebooks, site, slides and handouts), and ``selftest`` for notebook
authors.
Each works on the course folder given by ``--course`` (by default the
current folder when it holds ``nbgrader_config.py``, else the kit itself).
"""
import argparse
import os
import sys
import time
from pathlib import Path

from . import grading
from .release import release
from .grader import coordinator, report
from .grader.outcome import load_outcomes, save_outcomes
from .grader.progress import duration
from .grader.intake import safe_text
from .course import KIT_ROOT, Course, CourseError, prepare_environment

EXIT_OK, EXIT_NOT_GRADED, EXIT_ERROR = 0, 1, 2


def _course(args):
    if args.course:
        return Course(args.course)
    here = Path.cwd()
    return Course(here if (here / "nbgrader_config.py").is_file() else KIT_ROOT)


def _assignments(course, names):
    for name in names:
        course.check_assignment(name)
    return names or course.assignments()


def cmd_release(args):
    course = _course(args)
    for assignment in _assignments(course, args.assignments):
        print(f"Releasing {assignment}")
        started = time.monotonic()
        folder = release(course, assignment, validate=not args.no_validate)
        print(f"  released to {folder} ({duration(time.monotonic() - started)})")
    return EXIT_OK


def _summarise(outcomes):
    failed = [o for o in outcomes if not o.graded]
    broken = [o for o in outcomes if o.graded and o.problems]
    for o in failed:
        print(safe_text(f"NOT GRADED: {o.student} / {o.assignment}: {o.message}", 2000))
    for o in broken:
        for name, why in o.problems.items():
            print(safe_text(f"NOT GRADED: {o.student} / {o.assignment} / {name}: {why}", 2000))
    return EXIT_NOT_GRADED if failed or broken else EXIT_OK


def _sandbox(args, refuse=True):
    """Grade in a sandbox, or say clearly why not; ``--no-sandbox`` opts out."""
    from .grader import sandbox
    if args.no_sandbox:
        os.environ["NN_KIT_SANDBOX"] = "off"
        print("WARNING: grading without a sandbox: students' code runs with your rights.")
        return
    ok, why = sandbox.available()
    if ok:
        return
    if refuse:
        raise CourseError(f"cannot sandbox the grading kernels: {why}. Install it, or "
                          "pass --no-sandbox to grade without one (students' code then "
                          "runs with your rights and can read the course folder)")
    os.environ["NN_KIT_SANDBOX"] = "off"
    print(f"WARNING: grading without a sandbox: {why}.")


def cmd_autograde(args):
    _sandbox(args)
    course = _course(args)
    started = time.monotonic()
    outcomes = coordinator.autograde(course, args.assignment, args.student or None,
                                     jobs=args.jobs, scheduler=args.scheduler,
                                     security=_dask_security(args), regrade=args.regrade)
    save_outcomes(course, outcomes)
    print(f"Graded {len(outcomes)} submission(s) in {duration(time.monotonic() - started)}")
    print()
    print(report.score_table(course, args.assignment, outcomes))
    print()
    try:
        _class_report(course, args.assignment)
    except Exception as err:  # noqa: BLE001 - the scores are stored; the report can wait
        print(safe_text(f"WARNING: the class report could not be written ({type(err).__name__}: "
                        f"{err}); the scores are stored: run `report {args.assignment}` again",
                        2000))
    return _summarise(outcomes)


def _class_report(course, assignment):
    """Write the class report of an assignment and print its summary."""
    from .grader import class_report
    path, text = class_report.write_with_summary(course, assignment)
    print(text)
    return path


def cmd_report(args):
    course = _course(args)
    course.check_assignment(args.assignment)
    if not load_outcomes(course, args.assignment):
        raise CourseError(f"nothing graded for {args.assignment} yet: run autograde first")
    _class_report(course, args.assignment)
    return EXIT_OK


def cmd_roster(args):
    from .grader import exports
    course = _course(args)
    result = exports.import_roster(course, args.file)
    for line in result.errors:
        print(safe_text(line, 2000))
    if result.errors:
        print("Nothing imported: fix these lines and run roster again.")
        return EXIT_NOT_GRADED
    if result.ignored_columns:
        print(safe_text(f"ignored columns: {', '.join(result.ignored_columns)}", 2000))
    print(f"Roster: {result.added} student(s) added, {result.updated} updated, "
          f"{result.unchanged} unchanged")
    return EXIT_OK


def _dask_security(args):
    """Dask's TLS settings from ``--tls-*`` (None for a plain tcp:// scheduler)."""
    given = [args.tls_ca, args.tls_cert, args.tls_key]
    if not any(given):
        if args.scheduler and args.scheduler.startswith("tls://"):
            raise CourseError("a tls:// scheduler needs --tls-ca, --tls-cert and --tls-key")
        return None
    if not all(given):
        raise CourseError("give all three of --tls-ca, --tls-cert and --tls-key")
    for path in given:
        if not os.path.isfile(path):
            raise CourseError(f"no such file: {path}")
    try:
        from distributed.security import Security
    except ImportError:
        raise CourseError("grading on a Dask cluster needs requirements-cluster.txt "
                          "(pip install -r requirements-cluster.txt)") from None
    return Security(tls_ca_file=args.tls_ca, tls_client_cert=args.tls_cert,
                    tls_client_key=args.tls_key, require_encryption=True)


def cmd_feedback(args):
    course = _course(args)
    course.check_assignment(args.assignment)
    outcomes = load_outcomes(course, args.assignment)
    if args.student:
        outcomes = [o for o in outcomes if o.student in args.student]
    if not outcomes:
        raise CourseError(f"nothing graded for {args.assignment} yet: run autograde first")
    _warn_hand_grading(course, args.assignment, outcomes)
    folders = grading.feedback(course, args.assignment, outcomes, jobs=args.jobs)
    print(f"Wrote feedback for {len(folders)} student(s) in {course.feedback}")
    code = _summarise(outcomes)
    return EXIT_NOT_GRADED if len(folders) < sum(o.graded for o in outcomes) else code


#: At most this many notebooks are named in a warning; the rest are counted.
MAX_LISTED = 50


def _warn_hand_grading(course, assignment, outcomes):
    """Before feedback is written: which students' notebooks still have points
    waiting for hand grading (their pages will say "not graded yet")."""
    wanted = {o.student for o in outcomes}
    waiting = [(r.student, n.notebook, n.by_hand)
               for r in report.class_records(course, assignment, outcomes)
               if r.student in wanted for n in r.notebooks if n.by_hand]
    if not waiting:
        return
    total = sum(points for *_, points in waiting)
    students = len({student for student, *_ in waiting})
    print(f"WARNING: {total:g} point(s) of {students} student(s) still wait for hand grading "
          "(formgrader); their feedback pages will say \"not graded yet\" for them:")
    for student, notebook, points in waiting[:MAX_LISTED]:
        print(safe_text(f"  {student} / {notebook}: {points:g} point(s)", 2000))
    if len(waiting) > MAX_LISTED:
        print(f"  ... and {len(waiting) - MAX_LISTED} more notebook(s)")
    print("Grade them in formgrader and run feedback again to give the full scores.")


def cmd_grades(args):
    from .grader import exports
    course = _course(args)
    outcomes = [o for a in course.assignments() for o in load_outcomes(course, a)]
    if not outcomes:
        raise CourseError("nothing has been graded yet: run autograde first")
    graded = sorted({o.assignment for o in outcomes}, key=course.assignments().index)
    files = exports.write_exports(course, Path(args.output), graded)
    for kind, path in files.items():
        print(f"{kind:>10}: {path}")
    for warning in files.warnings:
        print(safe_text(f"WARNING: {warning}", 2000))
    return _summarise(outcomes)


def cmd_demo(args):
    from . import demo
    _sandbox(args, refuse=False)
    _, outcomes, problems = demo.run(folder=args.dir, assignments=args.assignments or None)
    broken = [o for o in outcomes if o.student not in ("broken", "tamperer", "crasher")
              and (not o.graded or o.problems)]
    return EXIT_NOT_GRADED if broken or problems else EXIT_OK


def cmd_selftest(args):
    from . import selftest
    _sandbox(args, refuse=False)
    ok = selftest.run(args.assignment, args.notebook or None, folder=args.dir,
                      jobs=args.jobs, stubs=args.stubs)
    return EXIT_OK if ok else EXIT_NOT_GRADED


def cmd_lecture(args):
    from . import lecture
    course = _course(args)
    result = lecture.build(course, _assignments(course, args.assignments), args.output,
                           jobs=args.jobs)
    for line in result.errors:
        print(f"FAILED: {line}", file=sys.stderr)
    print(f"Lecture notebooks: {result.output / 'notebooks'}")
    print(f"Lecture site: {result.index}")
    if args.serve:
        lecture.serve(result.output)
    return EXIT_NOT_GRADED if result.errors else EXIT_OK


def cmd_serve(args):
    from .grader import service
    course = _course(args)
    if args.status:
        print("\n".join(service.status_lines(course)))
        return EXIT_OK
    if os.geteuid() == 0 and not args.as_root:
        raise CourseError("the grading service runs as the grader account, never as root "
                          "(student code is graded by it): start it as that user, e.g. "
                          "systemd's User=grader (README, 'Grading during the window'); "
                          "--as-root is for a test machine or a throwaway container")
    _sandbox(args)
    service.Service(course, jobs=args.jobs, scheduler=args.scheduler,
                    security=_dask_security(args)).run(once=args.once)
    return EXIT_OK


def cmd_import_zips(args):
    from . import lms
    course = _course(args)
    results = lms.import_zips(course, args.assignment, args.source)
    refused = 0
    for r in results:
        who = safe_text(r.student, 80)
        if r.student == "?":
            print(f"SKIPPED {len(r.ignored)} file(s) whose names follow no known platform's "
                  f"naming, e.g. {safe_text(r.ignored[0], 200)}")
        elif r.refused:
            refused += 1
            print(safe_text(f"REFUSED {who}: {r.refused}", 2000))
        else:
            print(f"imported {who}: {', '.join(r.notebooks)}"
                  + (f" (left out {len(r.ignored)} other file(s))" if r.ignored else ""))
    print(f"Imported {sum(1 for r in results if r.notebooks)} student(s) into "
          f"{course.submitted}; refused {refused}.")
    return EXIT_NOT_GRADED if refused else EXIT_OK


def _hub_settings(path):
    """The hub's settings (``--settings``, ``$NN_KIT_HUB`` or the default file)."""
    from .hub import settings
    try:
        return settings.load(path)
    except settings.HubSettingsError as err:
        raise CourseError(str(err)) from None


def _sync_points(value, maximum):
    return "none" if value is None else f"{value:g}/{maximum:g}"


def _sync_line(change):
    """One student's line of ``lms-sync``."""
    from .hub import lms_sync as s
    new = _sync_points(change.new, change.maximum)
    old = _sync_points(change.old, change.old_maximum if change.old_maximum is not None
                       else change.maximum)
    pending = ", as PendingManual: hand grading still to come" if change.pending else ""
    text = {s.POSTED: f"posted {new} (was {old}){pending}",
            s.WOULD_POST: f"would post {old} -> {new}{pending}",
            s.UNCHANGED: f"unchanged {new}",
            s.NOT_POSTABLE: f"not postable: {change.reason}",
            s.NOT_GRADED: f"not graded: {change.reason}",
            s.WAITING: f"waiting for hand grading: {change.reason} (--include-pending posts "
                       f"{new} as PendingManual)",
            s.FAILED: change.reason}[change.kind]
    if change.reason and change.kind in (s.POSTED, s.WOULD_POST, s.UNCHANGED):
        text += f"; {change.reason}"
    return f"{change.student}: {text}"


def cmd_lms_sync(args):
    settings = _hub_settings(args.settings)
    try:
        from .hub import lms_sync
    except ImportError as err:
        raise CourseError(f"lms-sync needs requirements-hub.txt (pip install -r "
                          f"requirements-hub.txt): {err}") from None
    course = Course(args.course) if args.course else Course(settings.course)
    report = lms_sync.sync(course, args.assignment, settings, dry_run=args.dry_run,
                           include_pending=args.include_pending)
    for change in report.changes:
        print(safe_text(_sync_line(change), 2000))
    for note in report.notes:
        print(safe_text(f"NOTE: {note}", 2000))
    if report.would_create:
        print(safe_text(f"The line item {args.assignment} would be created in "
                        f"{report.lineitems}.", 2000))
    elif report.lineitem:
        made = " (created now)" if report.created else ""
        print(safe_text(f"The line item of {args.assignment}{made}: {report.lineitem}", 2000))
    counts = [f"{len(report.of_kind(kind))} {kind}" for kind in lms_sync.KINDS
              if report.of_kind(kind)]
    print(f"{args.assignment}: {', '.join(counts) or 'nobody to post'}"
          + (" (dry run: nothing was changed in the LMS)" if args.dry_run else ""))
    return EXIT_OK if report.ok else EXIT_NOT_GRADED


def cmd_migrate_gradebook(args):
    from .grader import gradebook
    try:
        gradebook.migrate(_course(args), args.target, source_url=args.source)
    except CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1  # nothing was copied (or the copy was rolled back)
    return EXIT_OK


def _jobs_option(p, verb):
    p.add_argument("--jobs", type=positive_number, default=coordinator.default_jobs(),
                   metavar="N",
                   help=f"students {verb} at once (default: %(default)s, one per core)")


def positive_number(text):
    """A whole number of at least 1, for ``--jobs`` and the like."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return number


def _cluster_options(p):
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on the Dask cluster whose scheduler is at ADDRESS "
                        "(tcp://host:8786 or tls://host:8786); this machine only checks "
                        "and stores the results. Keep the scheduler on a private network")
    p.add_argument("--tls-ca", metavar="FILE", help="CA certificate for a tls:// scheduler")
    p.add_argument("--tls-cert", metavar="FILE", help="this client's certificate (tls://)")
    p.add_argument("--tls-key", metavar="FILE", help="this client's private key (tls://)")


def _no_sandbox_option(p):
    p.add_argument("--no-sandbox", action="store_true",
                   help="run students' code without the bubblewrap sandbox (not advised)")


def parser():
    """The argument parser of ``python -m utils``."""
    top = argparse.ArgumentParser(
        prog="python -m utils",
        description="Release, autograde and report the course with nbgrader.")
    top.add_argument("--course", metavar="DIR",
                     help="course folder (default: this folder if it has "
                          "nbgrader_config.py, else the kit)")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("release", help="validate the source and generate release/",
                       description="Check that every source notebook passes its own "
                                   "tests, generate release/<assignment> with nbgrader, "
                                   "add the student helpers and check that the untouched "
                                   "release earns no points.")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                   help="assignments to release (default: all)")
    p.add_argument("--no-validate", action="store_true",
                   help="skip running the notebooks (faster, not for a real release)")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("autograde", help="autograde every submission of an assignment",
                       description="Autograde submitted/<student>/<ASSIGNMENT>/ for every "
                                   "student (or those given) and print a score table. "
                                   "A submission that cannot be graded is reported and "
                                   "the rest of the class is still graded; the exit "
                                   "status is then 1.")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("--student", action="append", metavar="ID",
                   help="grade only this student (repeatable)")
    _jobs_option(p, "graded")
    _no_sandbox_option(p)
    p.add_argument("--regrade", action="store_true",
                   help="grade every notebook again, even one already graded from the "
                        "same submission and the same tests (by default such a notebook "
                        "keeps its scores, so an interrupted run resumes)")
    _cluster_options(p)
    p.set_defaults(func=cmd_autograde)

    p = sub.add_parser("feedback", help="write feedback HTML for graded students",
                       description="Write feedback/<student>/<ASSIGNMENT>/*.html for "
                                   "every graded student. Points still waiting for hand "
                                   "grading are named first (student, notebook, points), "
                                   "and their pages say \"not graded yet\".")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("--student", action="append", metavar="ID",
                   help="only this student (repeatable)")
    _jobs_option(p, "written")
    p.set_defaults(func=cmd_feedback)

    p = sub.add_parser("report", help="write the class report of an assignment",
                       description="Write reports/ASSIGNMENT.html (one file, readable "
                                   "offline): score histogram, pass rate and most common "
                                   "failure of each exercise, students not graded or "
                                   "flagged, manual grading to do, late submissions, "
                                   "test versions, grading time and look-alike answers; "
                                   "print a short summary. autograde ends with it too.")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("grades", help="write scores and totals for spreadsheets and the LMS",
                       description="Write, for every enrolled student (the roster and "
                                   "everyone graded): notebooks.csv (a row per student and "
                                   "notebook, with status), totals.csv (per assignment and "
                                   "overall, late penalties applied; a student who submitted "
                                   "nothing shows as missing), canvas.csv (Canvas's gradebook "
                                   "import) and lms.csv (id column set by c.Exports.id_column).")
    p.add_argument("--output", default="grades", metavar="DIR",
                   help="folder to write (default: grades)")
    p.set_defaults(func=cmd_grades)

    p = sub.add_parser("roster", help="import the enrolled students from a CSV file",
                       description="Read a CSV roster (a header row; an id column, and "
                                   "optionally first_name, last_name, email, lms_id) into "
                                   "nbgrader's student table, so that exports list every "
                                   "enrolled student. A bad line is named by its number, "
                                   "and then nothing is imported (exit status 1).")
    p.add_argument("file", metavar="ROSTER_CSV")
    p.set_defaults(func=cmd_roster)

    p = sub.add_parser("migrate-gradebook", help="copy the gradebook into an empty database",
                       description="Copy every row of the course's gradebook (by default "
                                   "gradebook.db, or the db_url set in nbgrader_config.py) "
                                   "into the empty database at TARGET_URL, e.g. a PostgreSQL "
                                   "database made with createdb, count the rows on both "
                                   "sides, and print the db_url line to put in "
                                   "nbgrader_config.py. Nothing is merged: a database that "
                                   "already holds grades is refused. Exit status 1 on failure.")
    p.add_argument("target", metavar="TARGET_URL",
                   help="where to copy it, e.g. postgresql+psycopg://user@host/dbname")
    p.add_argument("--source", metavar="URL",
                   help="the gradebook to copy (default: the course's own)")
    p.set_defaults(func=cmd_migrate_gradebook)

    p = sub.add_parser("serve", help="grade each submission as it arrives (the grading "
                                     "service)",
                       description="Watch the exchange's inbound folder and the drop folder "
                                   "for new submissions of released assignments, grade each "
                                   "within minutes (fairly, within the rate limit of "
                                   "c.LiveGrading) and write its pages where its student "
                                   "fetches feedback; the class report is kept up to date. "
                                   "Stop it with Ctrl-C or SIGTERM: a killed service "
                                   "resumes where it was.")
    p.add_argument("--once", action="store_true",
                   help="grade what can be graded now, then stop")
    p.add_argument("--status", action="store_true",
                   help="print how the queue stands (waiting, grading, graded, failed, "
                        "time from arrival to result) and stop")
    p.add_argument("--as-root", action="store_true",
                   help="allow running as root (a test machine or a throwaway container)")
    _jobs_option(p, "graded")
    _no_sandbox_option(p)
    _cluster_options(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("import-zips", help="import submissions downloaded from Canvas or Moodle",
                       description="Put every student's notebooks from a learning platform's "
                                   "download (a zip file, or the folder it unpacks to) into "
                                   "submitted/<student>/<ASSIGNMENT>/. Students are named by "
                                   "the platform's user or participant id. An upload with "
                                   "links, paths outside its folder, odd names or absurd "
                                   "sizes is refused with the reason; the others are "
                                   "imported, and the exit status is then 1.")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("source", metavar="ZIP_OR_FOLDER")
    p.set_defaults(func=cmd_import_zips)

    p = sub.add_parser("lms-sync", help="post an assignment's scores to the LMS (LTI AGS)",
                       description="Post every student's points of ASSIGNMENT (after the late "
                                   "penalty, as the exports give them) to the LMS's line item "
                                   "of the assignment over LTI Advantage (created if missing), "
                                   "for the students who launched the hub from the LMS. A "
                                   "score the LMS already shows is not posted again. Points "
                                   "still waiting for hand grading are not posted unless "
                                   "--include-pending (or post_pending in the settings). One "
                                   "line per student, then a summary. Exit status 1 when a "
                                   "student could not be posted, 2 on a setting error.")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("--dry-run", action="store_true",
                   help="show what would change (old -> new); post and create nothing")
    p.add_argument("--include-pending", action="store_true",
                   help="also post points still waiting for hand grading, as PendingManual")
    from .hub.settings import DEFAULT_PATH, ENV
    p.add_argument("--settings", metavar="FILE",
                   help=f"the hub's settings (default: ${ENV}, else {DEFAULT_PATH}); the "
                        "course is its [hub] course unless --course is given")
    p.set_defaults(func=cmd_lms_sync)

    p = sub.add_parser("lecture", help="solved, executed notebooks, pages, slides, handouts",
                       description="Make lecture copies of the source notebooks (solutions "
                                   "kept, tests and grading text removed), run them, and "
                                   "write a site that works offline: a page, reveal.js "
                                   "slides and a handout without solutions per notebook, "
                                   "and an index. A notebook that fails is named with its "
                                   "cell, and the exit status is then 1.")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                   help="assignments to build (default: all)")
    p.add_argument("--output", metavar="DIR",
                   help="folder to write (default: build/lecture in the course)")
    p.add_argument("--jobs", type=positive_number, default=os.cpu_count() or 1, metavar="N",
                   help="notebooks run at once (default: %(default)s, one per core)")
    p.add_argument("--serve", action="store_true",
                   help="then serve the site at http://127.0.0.1:8000/ until Ctrl-C")
    p.set_defaults(func=cmd_lecture)

    p = sub.add_parser("demo", help="release, grade a synthetic class, report",
                       description="Release every assignment, build a synthetic class "
                                   "in a scratch folder, autograde it with nbgrader, and "
                                   "print the score tables, the class reports, grades/ "
                                   "and feedback paths. "
                                   "Grading the solutions and the untouched release "
                                   "checks the release as validation would.")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                   help="assignments to include (default: all)")
    p.add_argument("--dir", metavar="DIR", help="scratch folder (default: build/demo)")
    _no_sandbox_option(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("selftest", help="check that a notebook's tests award the right points",
                       description="Release the chosen notebooks into a scratch course, "
                                   "grade the solutions, the blank release and every "
                                   "prepared variant in tests/variants with nbgrader, and "
                                   "say for each whether it was graded as expected.")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("--notebook", action="append", metavar="NAME",
                   help="only this notebook, e.g. 02_layer (repeatable)")
    p.add_argument("--stubs", action="store_true",
                   help="instead of the variants, grade stubs of every graded function "
                        "(zeros, ones, transposed, doubled: the STUBS of the variant files) "
                        "and check that each scores 0 in the cells that test it")
    p.add_argument("--dir", metavar="DIR",
                   help="scratch folder (default: build/selftest/ASSIGNMENT)")
    _jobs_option(p, "graded")
    _no_sandbox_option(p)
    p.set_defaults(func=cmd_selftest)
    return top


def main(argv=None):
    """Run the command line; return its exit status."""
    args = parser().parse_args(argv)
    # Progress lines reach a log file or a pipe as they are printed, not in
    # blocks at the end.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    prepare_environment()
    try:
        return args.func(args)
    except CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted: the gradebook keeps what was finished", file=sys.stderr)
        return EXIT_ERROR
