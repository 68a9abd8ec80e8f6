"""A feedback page is read by its student alone.

The exchange's feedback folder is one folder every user may enter, and a
page there is found by a name derived from the submission's secret; a page
with the usual mode 0644 is still readable by anyone who learns or guesses
that name.  The rule:

    every feedback page the grader writes into the exchange is readable by
    the grader account that owns it and by the one student it belongs to,
    and by nobody else: mode 0600 plus a POSIX ACL naming that student
    (read only); it is never, even for a moment, readable by anyone else.
    Where the file system has no POSIX ACLs nothing is written:
    :class:`AclUnsupported` names the folder and what to do.

The ACL is the kernel's extended attribute ``system.posix_acl_access``,
written and read here directly (no command-line tools): a little-endian
``u32`` version (2), then one entry per ``u16`` tag, ``u16`` permissions,
``u32`` id, sorted by tag then id.  With a named user in the ACL, ``ls -l``
shows the mask (``r``) in the group column and a ``+``; the owning group
itself gets nothing.

- :func:`write_for` writes a page atomically: a new file in the same folder
  (created 0600, exclusively, never through a link), its ACL set before its
  content is written, then renamed over the page.
- :func:`readable_by` gives an existing file of the grader's that ACL.
- :func:`require_support` checks a folder before anything is written there.
- :func:`readers` (the named users an ACL lets read) and
  :func:`readable_by_others` (whether a group or every user may read) say
  what a file's permissions allow.
- Paths are never followed through a symbolic link: a link is refused.
"""
import errno
import os
import pwd
import secrets
import stat
import struct
from typing import NamedTuple

XATTR = "system.posix_acl_access"
VERSION = 2
USER_OBJ, USER, GROUP_OBJ, GROUP, MASK, OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
READ, WRITE, EXECUTE = 4, 2, 1
#: The id of an entry that names nobody (the owner, the owning group, mask, other).
UNDEFINED = 0xFFFFFFFF
_HEADER, _ENTRY = struct.Struct("<I"), struct.Struct("<HHI")
_UNSUPPORTED = {errno.ENOTSUP, errno.EOPNOTSUPP}


class AclUnsupported(Exception):
    """The file system of a folder has no POSIX ACLs."""

    def __init__(self, folder):
        self.folder = folder
        super().__init__(
            f"{folder}: its file system has no POSIX ACLs, so a feedback page there cannot be "
            "made readable by its student alone and none is written; mount that file system "
            "with ACL support (the 'acl' mount option) or put the exchange on one that has it")


class UnknownUser(LookupError):
    """A reader named by a login name the machine does not know."""

    def __init__(self, user):
        self.user = user
        super().__init__(f"no user named {user!r} on this machine (a student id must be the "
                         "student's login name for the page to be readable by that student)")


class Entry(NamedTuple):
    """One entry of an access ACL."""
    tag: int
    perm: int
    id: int = UNDEFINED


def encode(entries):
    """The extended attribute's bytes for ``entries`` (sorted by tag, then id)."""
    entries = sorted(entries, key=lambda e: (e.tag, e.id))
    return _HEADER.pack(VERSION) + b"".join(_ENTRY.pack(*e) for e in entries)


def decode(data):
    """The entries of an extended attribute's bytes; ValueError if they are not an ACL."""
    if len(data) < _HEADER.size or (len(data) - _HEADER.size) % _ENTRY.size:
        raise ValueError(f"not a POSIX ACL ({len(data)} bytes)")
    (version,) = _HEADER.unpack_from(data)
    if version != VERSION:
        raise ValueError(f"not a POSIX ACL (version {version})")
    return [Entry(*_ENTRY.unpack_from(data, offset))
            for offset in range(_HEADER.size, len(data), _ENTRY.size)]


def owner_and(uid):
    """The entries of the rule: owner read-write, ``uid`` read, nobody else."""
    return [Entry(USER_OBJ, READ | WRITE), Entry(USER, READ, uid), Entry(GROUP_OBJ, 0),
            Entry(MASK, READ), Entry(OTHER, 0)]


def uid_of(user):
    """The uid of the login name ``user``; :class:`UnknownUser` if there is none."""
    if not isinstance(user, str) or not user:
        raise UnknownUser(user)
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        raise UnknownUser(user) from None


def _folder(path):
    return os.path.dirname(os.path.abspath(path)) or os.sep


def _open(path, flags=os.O_RDONLY):
    """A descriptor of the regular file ``path``, never through a link."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, "refused: a symbolic link", path) from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "refused: not a regular file", path)
    return fd


def _set(fd, uid, folder):
    """Give the file open as ``fd`` the rule's ACL for ``uid``."""
    try:
        os.setxattr(fd, XATTR, encode(owner_and(uid)))
    except OSError as err:
        if err.errno in _UNSUPPORTED:
            raise AclUnsupported(folder) from None
        raise


def readable_by(path, user):
    """Make the grader's file ``path`` readable by its owner and ``user`` alone
    (owner rw, ``user`` r, group and other nothing).  A link, a file that is
    not regular or one owned by another user is refused."""
    uid = uid_of(user)
    fd = _open(path)
    try:
        if os.fstat(fd).st_uid != os.geteuid():
            raise PermissionError(errno.EPERM, "refused: owned by another user", path)
        _set(fd, uid, _folder(path))
    finally:
        os.close(fd)


def write_for(path, data, user):
    """Write ``data`` (bytes) to ``path``, readable by its owner (this process's
    user) and ``user`` alone, atomically: the page is whole and protected
    from the moment it has its name.  A symbolic link at ``path`` is replaced,
    never followed."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("write_for writes bytes")
    _write(path, data, uid_of(user))


def _write(path, data, uid):
    folder, name = _folder(path), os.path.basename(path)
    if not name:
        raise ValueError(f"{path!r} names no file")
    dirfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        while True:
            temporary = f".{name}.{secrets.token_hex(8)}.tmp"
            try:
                fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                             | os.O_CLOEXEC, 0o600, dir_fd=dirfd)
                break
            except FileExistsError:
                continue
        try:
            try:
                os.fchmod(fd, 0o600)          # whatever the umask left
                _set(fd, uid, folder)          # before there is anything to read
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, name, src_dir_fd=dirfd, dst_dir_fd=dirfd)
        except BaseException:
            try:
                os.unlink(temporary, dir_fd=dirfd)
            except FileNotFoundError:
                pass
            raise
        try:
            os.fsync(dirfd)
        except OSError as err:         # a file system that cannot sync a folder
            if err.errno not in (errno.EINVAL, *_UNSUPPORTED):
                raise
    finally:
        os.close(dirfd)


def require_support(folder):
    """Return if ``folder``'s file system takes POSIX ACLs, else
    :class:`AclUnsupported` (a hidden scratch file is written and removed)."""
    probe = os.path.join(folder, f".acl-probe.{secrets.token_hex(8)}")
    _write(probe, b"", os.geteuid())
    os.unlink(probe)


def entries(path):
    """The ACL entries of ``path`` (not through a link); [] for a file without one."""
    fd = _open(path)
    try:
        try:
            return decode(os.getxattr(fd, XATTR))
        except OSError as err:
            if err.errno == errno.ENODATA or err.errno in _UNSUPPORTED:
                return []
            raise
    finally:
        os.close(fd)


def readers(path):
    """The named users whom the ACL of ``path`` lets read it (sorted login
    names, ``#uid`` for a uid without one); () when it has no ACL."""
    acl = entries(path)
    mask = next((e.perm for e in acl if e.tag == MASK), READ | WRITE | EXECUTE)
    names = []
    for e in acl:
        if e.tag == USER and e.perm & mask & READ:
            try:
                names.append(pwd.getpwuid(e.id).pw_name)
            except KeyError:
                names.append(f"#{e.id}")
    return tuple(sorted(names))


def readable_by_others(path):
    """Whether anyone but the owner and the ACL's named users may read ``path``:
    its owning group, a named group or every user."""
    acl = entries(path)
    if not acl:
        mode = _mode(path)
        return bool(mode & (stat.S_IRGRP | stat.S_IROTH))
    mask = next((e.perm for e in acl if e.tag == MASK), READ | WRITE | EXECUTE)
    for e in acl:
        if e.tag == OTHER and e.perm & READ:
            return True
        if e.tag in (GROUP_OBJ, GROUP) and e.perm & mask & READ:
            return True
    return False


def _mode(path):
    fd = _open(path)
    try:
        return os.fstat(fd).st_mode
    finally:
        os.close(fd)
