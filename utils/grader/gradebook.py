"""The course's gradebook, wherever it lives: a SQLite file or a database server.

nbgrader keeps every score in one SQL database named by
``CourseDirectory.db_url`` (:attr:`utils.course.Course.db_url`).  By default
that is ``gradebook.db`` in the course folder; a course graded on several
machines points it at PostgreSQL instead
(``postgresql+psycopg://user@host/dbname``), and formgrader, manual grading
and the kit's commands all read the same scores.

- :func:`open_gradebook` opens nbgrader's ``Gradebook`` on the course's URL,
  and turns an unreachable server or a missing driver into one clear line;
- :func:`exists` says whether there is a gradebook to read yet;
- :func:`migrate` copies a whole gradebook into an empty database, row for
  row, and checks the copy.
"""
from contextlib import contextmanager
from pathlib import Path

from ..course import CourseError


def _url(url):
    """``url`` parsed by SQLAlchemy, or a :class:`CourseError` saying why not."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError
    try:
        return make_url(url)
    except ArgumentError:
        raise CourseError(f"{url!r} is not a database URL: write it like "
                          "postgresql+psycopg://user@host/dbname or "
                          "sqlite:////path/to/gradebook.db") from None


def masked(url):
    """``url`` as it may be shown: any password replaced by ``***``."""
    return _url(url).render_as_string(hide_password=True)


def without_password(url):
    """``url`` with no password in it (what belongs in a config file)."""
    from sqlalchemy.engine import URL
    parsed = _url(url)
    return URL.create(parsed.drivername, username=parsed.username, host=parsed.host,
                      port=parsed.port, database=parsed.database,
                      query=parsed.query).render_as_string(hide_password=False)


def is_sqlite(url):
    """Whether ``url`` names a SQLite file (no server involved)."""
    return _url(url).get_backend_name() == "sqlite"


def exists(course, url=None):
    """Whether the gradebook at ``url`` (by default the course's) can hold scores yet.

    A SQLite gradebook exists once its file does; a server's database is
    assumed to exist (opening it says clearly if it cannot be reached).
    """
    url = url or course.db_url
    if not is_sqlite(url):
        return True
    database = _url(url).database
    return bool(database) and database != ":memory:" and Path(database).exists()


def _unreachable(url, err):
    """The one-line :class:`CourseError` for a gradebook that cannot be opened."""
    parsed = _url(url)
    if isinstance(err, ImportError) or type(err).__name__ == "NoSuchModuleError":
        return CourseError(f"the gradebook at {masked(url)} cannot be opened: its database "
                           f"driver ({parsed.get_driver_name()}) is not installed; install "
                           "requirements-cluster.txt (pip install -r requirements-cluster.txt) "
                           "and write the URL as postgresql+psycopg://user@host/dbname")
    original = getattr(err, "orig", None) or err
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    why = lines[0] if lines else type(original).__name__
    if parsed.password:
        why = why.replace(parsed.password, "***")
    if is_sqlite(url):
        return CourseError(f"the gradebook at {masked(url)} cannot be opened: {why}")
    hint = ("create it with createdb first" if "does not exist" in why
            else "is the server running?")
    return CourseError(f"the gradebook at {masked(url)} cannot be reached: {why}; {hint}")


def _connect_errors():
    """What opening a database raises when it cannot be reached or has no driver."""
    from sqlalchemy.exc import DBAPIError, NoSuchModuleError, OperationalError
    return (ImportError, NoSuchModuleError, OperationalError, DBAPIError)


def connect(url, course_id="default_course"):
    """nbgrader's ``Gradebook`` on ``url`` (tables made if missing); close it after use."""
    from nbgrader.api import Gradebook
    _url(url)
    try:
        return Gradebook(url, course_id)
    except _connect_errors() as err:
        raise _unreachable(url, err) from None


@contextmanager
def open_gradebook(course, url=None):
    """The course's gradebook (nbgrader's ``Gradebook``), closed afterwards.

    ``url`` defaults to :attr:`utils.course.Course.db_url`; the course id is
    the course's ``CourseDirectory.course_id``, as nbgrader's own commands use.
    """
    from nbgrader.coursedir import CourseDirectory
    course_id = CourseDirectory(config=course.config()).course_id or "default_course"
    gb = connect(url or course.db_url, course_id)
    try:
        yield gb
    finally:
        gb.close()


def _engine(url):
    """A SQLAlchemy engine on ``url`` that has proved it can connect."""
    from sqlalchemy import create_engine
    _url(url)
    try:
        engine = create_engine(url, future=True)
        with engine.connect():
            pass
    except _connect_errors() as err:
        raise _unreachable(url, err) from None
    return engine


def _counts(engine, tables):
    """``{table name: rows}`` of the nbgrader tables present in ``engine``'s database."""
    from sqlalchemy import func, inspect, select
    present = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in tables if t.name in present}


def _schema_version(engine):
    """The alembic revision nbgrader stamped on a gradebook, or ``None``."""
    from sqlalchemy import inspect, text
    if "alembic_version" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


#: Rows copied per INSERT: large enough to be quick, small enough for any server.
BATCH_ROWS = 1000


def migrate(course, target_url, progress=print, source_url=None):
    """Copy the course's gradebook into the empty database at ``target_url``.

    Every row of every nbgrader table is copied as it is (ids, automatic and
    manual scores, comments, timestamps, late penalties, extra credit), in
    the order of the tables' foreign keys, in one transaction: the target
    gets all of it or nothing.  The target may be a fresh database (nbgrader's
    tables are made there the way nbgrader makes them) but must hold no
    grades; a gradebook is never merged into another.  Afterwards each
    table's rows are counted on both sides.  nbgrader's ids are strings
    (uuids), so no sequence needs resetting on the server.

    ``source_url`` defaults to the course's gradebook
    (:attr:`utils.course.Course.db_url`).  Returns ``{table: rows copied}``.
    """
    from nbgrader.api import Base
    from sqlalchemy import insert, select

    source_url = source_url or course.db_url
    if _url(source_url) == _url(target_url):
        raise CourseError(f"the course's gradebook already is {masked(target_url)}: "
                          "nothing to migrate (give the old one with --source)")
    if not exists(course, source_url):
        raise CourseError(f"there is no gradebook at {masked(source_url)} to migrate")
    tables = Base.metadata.sorted_tables
    source = _engine(source_url)
    target = _engine(target_url)
    try:
        found = _counts(source, tables)
        if not found:
            raise CourseError(f"{masked(source_url)} is not an nbgrader gradebook: "
                              "it has none of nbgrader's tables")
        held = {name: rows for name, rows in _counts(target, tables).items()
                if rows and name != "course"}
        if held:
            raise CourseError(f"the gradebook at {masked(target_url)} is not empty (it holds "
                              f"{sum(held.values())} rows in {len(held)} tables, e.g. "
                              f"{next(iter(held))}): migrate copies into an empty database "
                              "only; create a fresh one (createdb) and migrate into that")
        # nbgrader makes its tables and stamps the schema version on first use.
        connect(target_url).close()
        version, wanted = _schema_version(source), _schema_version(target)
        if version is not None and version != wanted:
            raise CourseError(f"the gradebook at {masked(source_url)} has another layout "
                              f"(schema {version}; this nbgrader writes {wanted}): run "
                              "'nbgrader db upgrade' in the course folder first")
        copied = {}
        with source.connect() as read, target.begin() as write:
            # Only the course rows nbgrader made when it opened the target.
            write.execute(Base.metadata.tables["course"].delete())
            for table in tables:
                copied[table.name] = 0
                if table.name not in found:
                    continue
                rows = read.execute(select(table)).mappings()
                while batch := rows.fetchmany(BATCH_ROWS):
                    write.execute(insert(table), [dict(row) for row in batch])
                    copied[table.name] += len(batch)
        after = _counts(target, tables)
        for table in tables:
            name = table.name
            if after.get(name, 0) != found.get(name, 0):
                raise CourseError(f"the copy of table {name} holds {after.get(name, 0)} rows "
                                  f"instead of {found.get(name, 0)}: the migration is not sound; "
                                  "drop that database and migrate again")
    finally:
        source.dispose()
        target.dispose()
    progress(f"Copied the gradebook at {masked(source_url)} to {masked(target_url)}:")
    for name, rows in copied.items():
        progress(f"  {name:<22} {rows:>7} row{'' if rows == 1 else 's'}")
    progress(f"Every table holds as many rows as the original ({sum(copied.values())} in all).")
    progress("To grade with it, put this line in nbgrader_config.py:")
    progress(f'    c.CourseDirectory.db_url = "{without_password(target_url)}"')
    if _url(target_url).password:
        progress("(keep the password out of that file: put it in ~/.pgpass, which the "
                 "driver reads)")
    return copied
