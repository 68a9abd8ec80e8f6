"""Submissions downloaded from a learning platform (Canvas, Moodle), imported.

Students on their own laptops zip their assignment folder and upload it; the
instructor downloads every submission at once and runs
``python -m utils import-zips <assignment> <download.zip or folder>``, which
runs nbgrader's ``zip_collect`` with the course's settings.  Each student's
notebooks land in ``submitted/<student>/<assignment>/``, ready for
``python -m utils autograde``; the grading service imports a download dropped
into the course's drop folder the same way (:mod:`utils.grader.arrivals`).
The course's ``nbgrader_config.py`` sets :class:`VettedExtractor` and
:data:`EXTRACTED_NAMING` for ``zip_collect``; :mod:`utils.lms` gives the
command these names, as it always did.

Which student a file belongs to comes from the platform's naming:

- Canvas: ``<name>_<userid>_<submissionid>_<original file name>`` (with
  ``_LATE`` after the name for a late one); the student id is the user id;
- Moodle: a folder ``<Full Name>_<participantid>_assignsubmission_file_/``
  per student; the student id is the participant id.

Another platform's naming is one more pattern in :data:`NAMINGS`.

Every archive is hostile data: a student whose upload holds a path leading
outside its folder, a link, an odd name, too many files or too many bytes is
refused with the reason, and the rest of the class is still imported.  The
import reads member names and sizes before it reads any content, and writes
nothing but notebooks named like the assignment's
(:class:`VettedExtractor`, nbgrader's extraction step replaced).
"""
import datetime as dt
import io
import json
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from nbgrader.plugins import ExtractorPlugin

from ..course import CourseError
from . import deadlines

#: ``(platform, pattern)``: a pattern matches a file's path in the download
#: and names the ``student`` and the student's own ``file`` name.
NAMINGS = (
    ("Moodle", re.compile(r"^(?:.*/)?[^/]*?_(?P<student>\d+)_assignsubmission_[a-z]+_/"
                          r"(?P<file>.+)$")),
    ("Canvas", re.compile(r"^(?:.*/)?[A-Za-z0-9]+(?:_LATE)?_(?P<student>\d+)_\d+_"
                          r"(?P<file>[^/]+)$")),
)

#: Limits on one upload (and on the whole download): more is refused.
MAX_MEMBERS = 200                    # files in one archive
MAX_FILE_BYTES = 32 * 2**20          # one file, uncompressed
MAX_TOTAL_BYTES = 64 * 2**20         # a whole archive, uncompressed
MAX_DOWNLOAD_BYTES = 4 * 2**30       # the platform's whole download
MAX_DOWNLOAD_MEMBERS = 20000         # files in the platform's whole download
MAX_RATIO = 200                      # uncompressed / compressed, for a large file

#: What a file name inside an upload may look like.
SAFE_PART = re.compile(r"^[A-Za-z0-9 ._()+,-]{1,120}$")


class Refused(Exception):
    """One student's upload cannot be imported; the message says why."""


@dataclass
class Imported:
    """What happened to one student's upload."""
    student: str
    notebooks: list = field(default_factory=list)
    refused: str = ""
    ignored: list = field(default_factory=list)
    submitted: str = ""              # ISO time the platform stamped on the upload ("" unknown)


def _check_members(archive, what):
    """Refuse an archive with links, escaping or odd paths, or absurd sizes."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise Refused(f"{what} holds {len(members)} files (at most {MAX_MEMBERS} are accepted)")
    total = 0
    for info in members:
        name = info.filename
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise Refused(f"{what} holds a link ({name!r}); links are not accepted")
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise Refused(f"{what} holds something that is not a file ({name!r})")
        path = PurePosixPath(name.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name):
            raise Refused(f"{what} holds a path that leads outside its folder ({name!r})")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
            raise Refused(f"{what} holds a file name with control characters ({name!r})")
        if info.file_size > MAX_FILE_BYTES:
            raise Refused(f"{what} holds {name!r} of {info.file_size} bytes "
                          f"(at most {MAX_FILE_BYTES} per file)")
        if info.compress_size and info.file_size > 2**20 \
                and info.file_size / info.compress_size > MAX_RATIO:
            raise Refused(f"{what} holds {name!r}, compressed {info.file_size // info.compress_size}"
                          " times: not an ordinary file")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise Refused(f"{what} unpacks to {total} bytes (at most {MAX_TOTAL_BYTES}); "
                      "was a .venv folder or a data set zipped along?")
    return members


def _read(archive, info):
    """A member's bytes, never more than its declared size allows."""
    with archive.open(info) as stream:
        data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > min(info.file_size, MAX_FILE_BYTES):
        raise Refused(f"{info.filename!r} is larger than it says")
    return data


def _notebooks_of(name, data, wanted, upload):
    """``{notebook: bytes}`` from one uploaded file (a notebook or a zip)."""
    found, ignored = {}, []
    base = PurePosixPath(name).name
    if base.lower().endswith(".ipynb"):
        stem = base[:-len(".ipynb")]
        if stem in wanted:
            found[stem] = data
        else:
            ignored.append(base)
        return found, ignored
    if base.lower().endswith(".zip"):
        try:
            inner = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise Refused(f"{base!r} is not a zip file that can be read") from None
        with inner:
            for info in _check_members(inner, f"{upload} {base!r}"):
                if info.is_dir():
                    continue
                parts = PurePosixPath(info.filename).parts
                if not all(SAFE_PART.match(p) for p in parts):
                    raise Refused(f"{base!r} holds an oddly named file ({info.filename!r})")
                if ".ipynb_checkpoints" in parts or "__MACOSX" in parts:
                    continue
                leaf = parts[-1]
                if leaf.endswith(".ipynb") and leaf[:-len(".ipynb")] in wanted:
                    stem = leaf[:-len(".ipynb")]
                    if stem in found:
                        raise Refused(f"{base!r} holds two copies of {leaf}")
                    found[stem] = _read(inner, info)
                else:
                    ignored.append(info.filename)
        return found, ignored
    ignored.append(base)
    return found, ignored


def _student_of(path):
    """``(student id, the student's file name)`` of a path in the download, or ``None``."""
    for _platform, pattern in NAMINGS:
        match = pattern.match(path)
        if match:
            return match["student"], match["file"]
    return None


def _member_reader(archive, info, name):
    """A reader of one file of the platform's download, size-checked first."""
    def read():
        _check_members_one(info, name)
        return _read(archive, info)
    return read


def _file_reader(path, name):
    """A reader of one file of an unpacked download; a link is refused."""
    def read():
        if path.is_symlink() or not path.is_file():
            raise Refused(f"{name!r} is a link or not a file; only files are accepted")
        if path.stat().st_size > MAX_TOTAL_BYTES:
            raise Refused(f"{name!r} is {path.stat().st_size} bytes (at most {MAX_TOTAL_BYTES})")
        return path.read_bytes()
    return read


def _open_download(path, opened):
    """``[(path in the download, reader, time)]`` of a platform's zip file."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise CourseError(f"{path} is not a zip file that can be read: {err}") from None
    opened.append(archive)
    members = archive.infolist()
    if len(members) > MAX_DOWNLOAD_MEMBERS:
        raise CourseError(f"{path} holds {len(members)} files: more than any class uploads")
    if sum(i.file_size for i in members) > MAX_DOWNLOAD_BYTES:
        raise CourseError(f"{path} unpacks to more than {MAX_DOWNLOAD_BYTES} bytes")
    return [(i.filename, _member_reader(archive, i, i.filename), _zip_time(i))
            for i in members if not i.is_dir()]


def _zip_time(info):
    """The time a zip file's entry carries (naive: in the platform's zone), or None."""
    try:
        return dt.datetime(*info.date_time)
    except (TypeError, ValueError):
        return None


def _uploads(source, opened):
    """``[(path in the download, reader, time)]`` of a download: a zip file, or a
    folder holding the unpacked download and/or zip files of downloads.  The
    time is the one the platform stamped on the file (a zip entry's, naive;
    an unpacked file's modification time, in UTC)."""
    source = Path(source)
    if not source.is_dir():
        return _open_download(source, opened)
    found = []
    for path in sorted(source.rglob("*")):
        name = path.relative_to(source).as_posix()
        if path.is_dir() and not path.is_symlink():
            continue
        if path.suffix.lower() == ".zip" and _student_of(name) is None \
                and path.parent == source and not path.is_symlink():
            found.extend(_open_download(path, opened))
        else:
            found.append((name, _file_reader(path, name),
                          dt.datetime.fromtimestamp(path.lstat().st_mtime, dt.timezone.utc)))
    return found


def vet(source, wanted, zone="UTC"):
    """Each student's notebooks in a download, after checking every upload.

    ``wanted`` names the assignment's notebooks (without ``.ipynb``).
    Returns ``({student: {notebook: bytes}}, [Imported])``: a refused student
    has no notebooks and says why; files that follow no platform's naming are
    listed under the student ``"?"``.  Each student's ``submitted`` is the
    latest time the platform stamped on their files (a zip's naive times are
    in ``zone``), never a time from inside the student's own upload.
    """
    from zoneinfo import ZoneInfo
    opened, per_student, results, accepted, stamped = [], {}, {}, {}, {}
    try:
        for path, reader, when in _uploads(source, opened):
            owner = _student_of(path)
            if owner is None:
                results.setdefault("?", Imported("?")).ignored.append(path)
                continue
            per_student.setdefault(owner[0], []).append((owner[1], reader))
            if when is not None:
                when = when if when.tzinfo else when.replace(tzinfo=ZoneInfo(zone))
                stamped[owner[0]] = max(stamped.get(owner[0], when), when)
        for student, uploads in sorted(per_student.items()):
            outcome = results[student] = Imported(student)
            if student in stamped:
                outcome.submitted = stamped[student].astimezone(dt.timezone.utc).isoformat()
            notebooks = {}
            try:
                for name, reader in uploads:
                    found, ignored = _notebooks_of(name, reader(), wanted, "the upload")
                    outcome.ignored.extend(ignored)
                    for stem, content in found.items():
                        if stem in notebooks:
                            raise Refused(f"two uploads hold {stem}.ipynb")
                        notebooks[stem] = content
                if not notebooks:
                    raise Refused("no notebook of this assignment in the upload "
                                  f"(expected {', '.join(sorted(wanted))}.ipynb)")
            except Refused as why:
                outcome.refused = str(why)
                continue
            accepted[student] = notebooks
            outcome.notebooks = [f"{stem}.ipynb" for stem in sorted(notebooks)]
    finally:
        for archive in opened:
            archive.close()
    return accepted, [results[s] for s in sorted(results)]


def _check_members_one(info, name):
    """The checks of :func:`_check_members` for one file of the download."""
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise Refused(f"{name!r} is a link; links are not accepted")
    if info.file_size > MAX_TOTAL_BYTES:
        raise Refused(f"{name!r} is {info.file_size} bytes (at most {MAX_TOTAL_BYTES}); "
                      "was a .venv folder or a data set zipped along?")
    if info.compress_size and info.file_size > 2**20 \
            and info.file_size / info.compress_size > MAX_RATIO:
        raise Refused(f"{name!r} is compressed {info.file_size // info.compress_size} times: "
                      "not an ordinary file")


# -- nbgrader's zip_collect ---------------------------------------------------

#: Where :class:`VettedExtractor` puts a student's notebooks, as nbgrader's
#: ``FileNameCollectorPlugin.named_regexp`` reads it (matched against the
#: whole path of each extracted file).
EXTRACTED_NAMING = r".*/(?P<student_id>[0-9]+)/(?P<file_id>[^/]+\.ipynb)$"

#: The per-student account of the last extraction, beside ``extracted/``.
REPORT = "import_report.json"


class VettedExtractor(ExtractorPlugin):
    """nbgrader ``zip_collect``'s extraction step, for hostile archives.

    Instead of unpacking every archive as it is, each student's upload is
    checked (:func:`vet`) and only the notebooks named like the assignment's
    are written, as ``extracted/<student id>/<notebook>.ipynb``; a refused
    student is logged with the reason and the others are still extracted.
    What happened to each student is saved in ``import_report.json`` beside
    ``extracted/``.
    """

    def extract(self, archive_path, extracted_path):
        """Vet the downloads in ``archive_path``; write the accepted notebooks."""
        app = self.parent
        released = Path(app.coursedir.format_path(
            app.coursedir.release_directory, ".", app.coursedir.assignment_id))
        wanted = {p.stem for p in released.glob("*.ipynb")}
        if not wanted:
            raise CourseError(f"{app.coursedir.assignment_id} has no released notebooks "
                              f"in {released}: release it first")
        accepted, results = vet(archive_path, wanted,
                                deadlines.Deadlines(config=app.config).timezone)
        for student, notebooks in accepted.items():
            folder = Path(extracted_path) / student
            folder.mkdir(parents=True, exist_ok=True)
            for stem, content in notebooks.items():
                (folder / f"{stem}.ipynb").write_bytes(content)
        for outcome in results:
            if outcome.refused:
                self.log.error("Refused student %s: %s", outcome.student, outcome.refused)
            elif outcome.student != "?":
                self.log.info("Student %s: %s", outcome.student, ", ".join(outcome.notebooks))
        report = Path(extracted_path).parent / REPORT
        report.write_text(json.dumps([vars(o) for o in results], indent=1))


def import_zips(course, assignment, source):
    """Import a platform's download for ``assignment`` with nbgrader's ``zip_collect``.

    ``source`` (a zip file or a folder) is copied to
    ``downloaded/<assignment>/archive/`` (replacing an earlier download),
    then ``nbgrader zip_collect --force --strict`` runs in the course folder
    with the course's settings (:class:`VettedExtractor`,
    :data:`EXTRACTED_NAMING`).  Returns one :class:`Imported` per student.
    """
    course.check_assignment(assignment)
    if not any((course.release / assignment).glob("*.ipynb")):
        raise CourseError(f"{assignment} has not been released: run release first")
    source = Path(source)
    if not source.exists():
        raise CourseError(f"{source} does not exist: give the zip file downloaded from the "
                          "learning platform, or the folder it unpacks to")
    downloaded = course.root / "downloaded" / assignment
    if downloaded.exists():
        shutil.rmtree(downloaded)
    archive = downloaded / "archive"
    if source.is_dir():
        shutil.copytree(source, archive, symlinks=True)
    else:
        archive.mkdir(parents=True)
        shutil.copyfile(source, archive / "download.zip")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), "zip_collect", "--force", "--strict",
         assignment], cwd=course.root, capture_output=True, text=True)
    report = downloaded / REPORT
    if done.returncode or not report.is_file():
        lines = [l for l in (done.stderr + done.stdout).splitlines() if "ERROR" in l or "rror:" in l]
        raise CourseError(f"nbgrader zip_collect could not import {source}: "
                          + (lines[-1].split("] ", 1)[-1] if lines else "no reason given"))
    results = [Imported(**entry) for entry in json.loads(report.read_text())]
    deadlines.record_times(course, assignment, {
        r.student: dt.datetime.fromisoformat(r.submitted)
        for r in results if r.notebooks and r.submitted}, deadlines.LMS)
    return results
