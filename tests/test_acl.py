"""A feedback page is read by its student alone (utils/grader/acl.py).

As root, with two unprivileged users of the machine: a page written for one
is read by that user (``runuser -u USER -- cat``) and refused to the other,
its mode gives nothing to group or other, a link is never followed, and a
file system without POSIX ACLs is refused with the folder named.  The
release step (``CheckedReleaseFeedback``) is run in-process on a small
feedback folder: each page ends readable by its student alone, an earlier
world-readable page is closed, and a file system without ACLs fails the
release before any page is written.  No kernels.
"""
import errno
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeError
from nbgrader.utils import notebook_hash
from traitlets.config import Config

from test_exchange import ANA, BEN, _user
from utils.grader import acl
from utils.grader.feedback_release import SECRET, TIMESTAMP, CheckedReleaseFeedback

pytestmark = pytest.mark.fast

ME = pwd.getpwuid(os.geteuid()).pw_name
as_root = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("runuser") or not shutil.which("useradd"),
    reason="needs root (to create two users and read as them) and runuser/useradd")


@pytest.fixture
def users():
    if os.geteuid() == 0 and shutil.which("useradd"):
        _user(ANA)
        _user(BEN)
    return ANA, BEN


@pytest.fixture
def folder():
    """A folder every user may pass through but not list, like the exchange's."""
    base = Path(tempfile.mkdtemp(prefix="nn-kit-acl-"))
    try:
        base.chmod(0o711)
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def cat_as(user, path):
    """``cat path`` as ``user``: (return code, output)."""
    done = subprocess.run(["runuser", "-u", user, "--", "cat", str(path)],
                          capture_output=True, timeout=60)
    return done.returncode, done.stdout


def _others_get_nothing(path):
    mode = os.stat(path).st_mode
    entries = {e.tag: e for e in acl.entries(path)}
    return (mode & stat.S_IRWXO == 0 and entries[acl.GROUP_OBJ].perm == 0
            and entries[acl.OTHER].perm == 0 and entries[acl.MASK].perm == acl.READ)


# --- the encoding -----------------------------------------------------------

def test_the_encoding_is_the_kernels():
    """Version 2, then (tag, perm, id) little-endian, sorted by tag then id."""
    entries = acl.owner_and(65534)
    data = acl.encode(reversed(entries))
    assert data.hex() == ("02000000" "01000600ffffffff" "02000400feff0000" "04000000ffffffff"
                          "10000400ffffffff" "20000000ffffffff")
    assert acl.decode(data) == entries
    with pytest.raises(ValueError):
        acl.decode(data[:-1])
    with pytest.raises(ValueError):
        acl.decode(b"\x01\x00\x00\x00")


@as_root
def test_the_encoding_round_trips_through_the_file_system(users, folder):
    page = folder / "page.html"
    acl.write_for(page, b"<p>ana</p>", ANA)
    assert acl.readers(page) == (ANA,)
    assert acl.entries(page) == acl.owner_and(pwd.getpwnam(ANA).pw_uid)
    acl.readable_by(page, BEN)
    assert acl.readers(page) == (BEN,)


# --- write_for: one reader ----------------------------------------------------

@as_root
def test_a_page_is_read_by_its_student_and_refused_to_the_other(users, folder):
    page = folder / "page.html"
    acl.write_for(page, b"<p>for ana</p>", ANA)
    assert cat_as(ANA, page) == (0, b"<p>for ana</p>")
    code, out = cat_as(BEN, page)
    assert code != 0 and out == b""
    assert page.stat().st_uid == os.geteuid()
    assert _others_get_nothing(page)
    assert not acl.readable_by_others(page)
    assert acl.readers(page) == (ANA,)
    assert sorted(p.name for p in folder.iterdir()) == ["page.html"]   # no scratch left


@as_root
def test_the_checks_catch_a_world_readable_page(users, folder):
    """The checks above have teeth: a page written the usual way (0644) is
    read by the other student, and every check says so."""
    page = folder / "page.html"
    page.write_bytes(b"<p>for ana</p>")
    page.chmod(0o644)
    assert cat_as(BEN, page) == (0, b"<p>for ana</p>")
    assert acl.readable_by_others(page)
    assert acl.readers(page) == ()
    # an ACL that lets the owning group read is caught too
    os.setxattr(page, acl.XATTR, acl.encode(
        [acl.Entry(acl.USER_OBJ, 6), acl.Entry(acl.USER, 4, pwd.getpwnam(ANA).pw_uid),
         acl.Entry(acl.GROUP_OBJ, 4), acl.Entry(acl.MASK, 4), acl.Entry(acl.OTHER, 0)]))
    assert acl.readable_by_others(page)
    assert not _others_get_nothing(page)


@as_root
def test_a_world_readable_page_is_replaced_whole_and_closed(users, folder):
    page = folder / "page.html"
    page.write_bytes(b"old")
    page.chmod(0o644)
    acl.write_for(page, b"new", BEN)
    assert cat_as(BEN, page) == (0, b"new")
    assert cat_as(ANA, page)[0] != 0
    assert _others_get_nothing(page)


@as_root
def test_readable_by_gives_an_existing_file_the_rule(users, folder):
    page = folder / "page.html"
    page.write_bytes(b"x")
    page.chmod(0o644)
    acl.readable_by(page, ANA)
    assert _others_get_nothing(page) and acl.readers(page) == (ANA,)
    assert cat_as(BEN, page)[0] != 0 and cat_as(ANA, page) == (0, b"x")
    theirs = folder / "theirs.html"
    theirs.write_bytes(b"y")
    os.chown(theirs, pwd.getpwnam(BEN).pw_uid, -1)
    with pytest.raises(PermissionError, match="owned by another user"):
        acl.readable_by(theirs, ANA)


# --- links, unknown users, file systems without ACLs -------------------------------

@as_root
def test_a_symbolic_link_is_never_followed(users, folder):
    target = folder / "target.html"
    target.write_bytes(b"target")
    target.chmod(0o600)
    link = folder / "link.html"
    link.symlink_to(target)
    with pytest.raises(OSError, match="symbolic link") as refused:
        acl.readable_by(link, BEN)
    assert refused.value.errno == errno.ELOOP
    with pytest.raises(OSError, match="symbolic link"):
        acl.readers(link)
    assert acl.readers(target) == ()
    assert cat_as(BEN, target)[0] != 0
    # writing at a link's name replaces the link, never writes through it
    acl.write_for(link, b"page", BEN)
    assert not link.is_symlink() and target.read_bytes() == b"target"
    assert acl.readers(link) == (BEN,) and acl.readers(target) == ()


def test_an_unknown_user_is_refused_and_nothing_written(folder):
    page = folder / "page.html"
    with pytest.raises(acl.UnknownUser, match="no user named 'nnkit-nobody-such'"):
        acl.write_for(page, b"x", "nnkit-nobody-such")
    assert list(folder.iterdir()) == []


def _no_acls(monkeypatch):
    def setxattr(*args, **kwargs):
        raise OSError(errno.ENOTSUP, "Operation not supported")
    monkeypatch.setattr(acl.os, "setxattr", setxattr)


def test_a_file_system_without_acls_is_refused_with_its_folder_named(folder, monkeypatch):
    _no_acls(monkeypatch)
    page = folder / "page.html"
    with pytest.raises(acl.AclUnsupported) as refused:
        acl.write_for(page, b"x", ME)
    said = str(refused.value)
    assert str(folder) in said and "no POSIX ACLs" in said and "mount" in said
    assert "\n" not in said
    assert list(folder.iterdir()) == []                      # nothing left, not even scratch
    with pytest.raises(acl.AclUnsupported, match=str(folder)):
        acl.require_support(folder)
    assert list(folder.iterdir()) == []


# --- the release --------------------------------------------------------------

SECRETS = {ANA: "a1" * 64, BEN: "b2" * 64}
COURSE, LAB, NOTEBOOKS = "nn-course", "lab1", ("01_one", "02_two")


@pytest.fixture
def release(folder):
    """A course root with each student's feedback and an exchange; returns a
    function that runs CheckedReleaseFeedback on them in-process."""
    course, exchange = folder / "course", folder / "exchange"
    exchange.mkdir()
    exchange.chmod(0o1777)
    for student, secret in SECRETS.items():
        feedback = course / "feedback" / student / LAB
        feedback.mkdir(parents=True)
        (feedback / TIMESTAMP).write_text("2024-01-01 10:00:00.000000 UTC")
        (feedback / SECRET).write_text(secret)
        for notebook in NOTEBOOKS:
            (feedback / f"{notebook}.html").write_text(f"<p>{notebook} of {student}</p>")

    def run():
        config = Config()
        config.Exchange.root = str(exchange)
        coursedir = CourseDirectory(root=str(course), course_id=COURSE, assignment_id=LAB,
                                    config=config)
        CheckedReleaseFeedback(coursedir=coursedir, config=config).start()
        return exchange / COURSE / "feedback"
    return run


def _page(outbound, student, notebook):
    return outbound / f"{notebook_hash(secret=SECRETS[student], notebook_id=notebook)}.html"


@as_root
def test_release_writes_each_page_for_its_student_alone(users, release):
    outbound = release()
    assert stat.S_IMODE(outbound.stat().st_mode) == 0o711       # traversable, not listable
    assert sorted(p.name for p in outbound.iterdir()) == sorted(
        _page(outbound, s, n).name for s in SECRETS for n in NOTEBOOKS)
    for student, other in ((ANA, BEN), (BEN, ANA)):
        for notebook in NOTEBOOKS:
            page = _page(outbound, student, notebook)
            assert acl.readers(page) == (student,) and _others_get_nothing(page)
            assert cat_as(student, page) == (0, f"<p>{notebook} of {student}</p>".encode())
            assert cat_as(other, page)[0] != 0


@as_root
def test_release_closes_an_earlier_world_readable_page_and_listable_folder(users, release):
    outbound = release()
    earlier = outbound / ("0" * 32 + ".html")          # stock release_feedback's mode
    earlier.write_text("<p>an earlier submission</p>")
    earlier.chmod(0o644)
    outbound.chmod(0o755)
    release()
    assert stat.S_IMODE(outbound.stat().st_mode) == 0o711
    assert stat.S_IMODE(earlier.stat().st_mode) == 0o600
    assert cat_as(ANA, earlier)[0] != 0 and cat_as(BEN, earlier)[0] != 0
    assert acl.readers(_page(outbound, ANA, NOTEBOOKS[0])) == (ANA,)


@as_root
def test_release_refuses_a_student_id_that_is_no_login_name(users, release, folder):
    stranger = folder / "course" / "feedback" / "nnkit-nobody-such"
    shutil.copytree(folder / "course" / "feedback" / ANA, stranger)
    (stranger / LAB / SECRET).write_text("c3" * 64)
    with pytest.raises(ExchangeError, match="nnkit-nobody-such: no user named"):
        release()
    outbound = folder / "exchange" / COURSE / "feedback"
    assert len(list(outbound.glob("*.html"))) == 2 * len(NOTEBOOKS)   # the class is released


@as_root
def test_release_fails_in_one_line_where_acls_are_unsupported(users, release, folder,
                                                              monkeypatch):
    _no_acls(monkeypatch)
    with pytest.raises(ExchangeError) as failed:
        release()
    outbound = folder / "exchange" / COURSE / "feedback"
    said = str(failed.value)
    assert said.startswith("feedback not released: ") and str(outbound) in said
    assert "mount" in said and "\n" not in said
    assert list(outbound.iterdir()) == []                     # nothing written
