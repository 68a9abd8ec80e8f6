"""Scripts and styles that HTML pages need, copied beside the pages.

Pages the kit writes (lecture pages, slides, feedback) must work without a
network: in a lecture hall without Wi-Fi, on a student's laptop, from a USB
stick.  nbconvert's templates load MathJax, reveal.js, require.js and jQuery
from CDNs; this module supplies local copies instead:

* :func:`copy_mathjax` copies MathJax 2.7 from the pinned PyPI package
  ``jupyter-server-mathjax`` (the MathJax that nbconvert's templates speak:
  ``MathJax.Hub``), trimmed to TeX input and HTML-CSS output.
* :func:`copy_reveal` copies reveal.js 4 from a tarball of the npm registry,
  pinned by version and checked against its published sha512 digest.  It is
  downloaded once and kept in a cache (:func:`reveal_cache`); without a
  network and without the cache, it fails with a message that says what to do.

Each returns a URL relative to the folder it copied into, ready for a page in
that folder.
"""
import base64
import hashlib
import importlib.util
import io
import os
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

from .course import KIT_ROOT, CourseError

__all__ = ["OfflineError", "MATHJAX_CONFIG", "REVEAL_VERSION", "copy_mathjax",
           "copy_reveal", "reveal_cache", "page_resources"]


class OfflineError(CourseError):
    """An asset cannot be found or fetched; the message says what to do."""


# --- MathJax -----------------------------------------------------------------

#: MathJax's combined configuration: TeX and MathML input, HTML-CSS output
#: (the only output whose fonts the package ships), the ``Safe`` extension
#: that nbconvert also uses (no scripts or links from math), and the kit's
#: own settings (:data:`_LOCAL_CONFIG`).
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe,local/offline"

#: ``config/local/offline.js``: the package ships the STIX-Web fonts only,
#: while HTML-CSS asks for its TeX fonts first; point it at STIX-Web, and
#: never at image fonts (not shipped) or the fonts of the reader's machine.
_LOCAL_CONFIG = """\
MathJax.Hub.Config({
  "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null}
});
MathJax.Ajax.loadComplete("[MathJax]/config/local/offline.js");
"""

#: What the pages need of the package's ``static/`` folder, as glob patterns.
#: Everything else is left out: localizations (the menus are in English
#: anyway), the SVG output, the accessibility explorers and MathML input
#: extensions (about 9 of the package's 12 MB).
_MATHJAX_FILES = (
    "LICENSE",
    "MathJax.js",
    "config/TeX-AMS-MML_HTMLorMML-full.js",
    "config/Safe.js",
    "extensions/*.js",
    "extensions/TeX/**/*.js",
    "extensions/HTML-CSS/*.js",
    "jax/input/TeX/*.js",
    "jax/element/**/*.js",
    "jax/output/HTML-CSS/**/*.js",
    "fonts/HTML-CSS/STIX-Web/woff/*.woff",
)

#: The folder the copies go into, inside the destination.
MATHJAX_FOLDER = "mathjax"


def _mathjax_static():
    try:
        # Found, not imported: importing it imports the whole Jupyter server.
        spec = importlib.util.find_spec("jupyter_server_mathjax")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        raise OfflineError("MathJax is missing: install the kit's requirements "
                           "(pip install -r requirements.txt adds jupyter-server-mathjax)")
    static = Path(spec.origin).parent / "static"
    if not (static / "MathJax.js").is_file():
        raise OfflineError(f"MathJax.js is missing from {static}: reinstall jupyter-server-mathjax")
    return static


def _mathjax_version():
    from importlib.metadata import version
    return version("jupyter-server-mathjax")


def copy_mathjax(destination_folder):
    """Copy MathJax into ``destination_folder/mathjax/``; return the URL of
    ``MathJax.js`` with its configuration, relative to ``destination_folder``.

    A page in ``destination_folder`` loads MathJax with
    ``<script src="{url}">``; nbconvert's HTML exporters take it as
    ``mathjax_url``.  A copy of the same package version already there is
    kept as it is.
    """
    target = Path(destination_folder) / MATHJAX_FOLDER
    stamp = target / ".version"
    version = _mathjax_version()
    version += " " + hashlib.sha256(_LOCAL_CONFIG.encode()).hexdigest()[:12]
    if not (stamp.is_file() and stamp.read_text() == version):
        static = _mathjax_static()
        def fill(folder):
            """The chosen files of the package, and the kit's configuration."""
            _copy_globs(static, folder, _MATHJAX_FILES)
            (folder / "config" / "local").mkdir(parents=True, exist_ok=True)
            (folder / "config" / "local" / "offline.js").write_text(_LOCAL_CONFIG)
        _replace_folder(target, fill)
        stamp.write_text(version)
    return f"{MATHJAX_FOLDER}/MathJax.js?config={MATHJAX_CONFIG}"


def _copy_globs(root, target, patterns):
    for pattern in patterns:
        for source in sorted(root.glob(pattern)):
            if source.is_file():
                out = target / source.relative_to(root)
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, out)


def _replace_folder(target, fill):
    """Fill a fresh folder with ``fill(folder)`` and put it at ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        fill(tmp)
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


# --- reveal.js ---------------------------------------------------------------

#: reveal.js 4: the layout nbconvert 7's slides template expects
#: (``dist/reveal.js``, ``dist/theme/<theme>.css``, ``plugin/notes/notes.js``).
REVEAL_VERSION = "4.6.1"
#: The npm registry's ``dist.integrity`` of that version: the tarball must match.
REVEAL_INTEGRITY = ("sha512-1CW0auaXNPmwmvQ7TwpszwVxMi2Xr5cTS3J3EBC/HHgbPF32Dn7aiu/"
                    "LKWDOGjMbaDwKQiGmfqcoGQ74HUHCMw==")
REVEAL_URL = f"https://registry.npmjs.org/reveal.js/-/reveal.js-{REVEAL_VERSION}.tgz"
#: The folder the copies go into, inside the destination.
REVEAL_FOLDER = "reveal.js"
#: Seconds to wait for the registry before saying it cannot be reached.
_DOWNLOAD_TIMEOUT = 60
_TARBALL_LIMIT = 50 * 2 ** 20       # the real one is about 10 MB


def reveal_cache():
    """Where the verified reveal.js tarball is kept: inside the kit's virtual
    environment when running in one (it lives as long as the installed
    packages), else in the kit's ``build/`` folder."""
    if sys.prefix != sys.base_prefix:
        return Path(sys.prefix) / "share" / "nn-course-kit"
    return KIT_ROOT / "build" / "offline-cache"


def _digest_ok(data, integrity):
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    return actual == expected


def _reveal_tarball():
    """The verified tarball's bytes: from the cache, else from the registry."""
    cache = reveal_cache()
    path = cache / f"reveal.js-{REVEAL_VERSION}.tgz"
    if path.is_file():
        data = path.read_bytes()
        if _digest_ok(data, REVEAL_INTEGRITY):
            return data
        path.unlink()                  # a damaged download: fetch it again
    try:
        with urllib.request.urlopen(REVEAL_URL, timeout=_DOWNLOAD_TIMEOUT) as answer:
            data = answer.read(_TARBALL_LIMIT + 1)
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise OfflineError(
            f"cannot download reveal.js {REVEAL_VERSION} for the slides ({reason}). "
            f"Connect to the network once (it is kept in {cache}), or download "
            f"{REVEAL_URL} elsewhere and copy it to {path}") from None
    if len(data) > _TARBALL_LIMIT or not _digest_ok(data, REVEAL_INTEGRITY):
        raise OfflineError(f"the reveal.js tarball from {REVEAL_URL} does not match its "
                           "pinned sha512 digest: not used. Try again later, or check "
                           "your network's proxy")
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)
    return data


def _package_files(data):
    """``{relative path: bytes}`` of the regular files under ``package/``.

    Only plain files with plain relative names are read: links, devices,
    absolute names and ``..`` are refused, nothing is written by tarfile.
    """
    files = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive:
            name = PurePosixPath(member.name)
            if member.isdir():
                continue
            if not member.isfile() or name.is_absolute() or ".." in name.parts \
                    or name.parts[:1] != ("package",) or len(name.parts) < 2:
                raise OfflineError(f"the reveal.js tarball holds an unexpected entry "
                                   f"{member.name!r}: not used")
            files[str(PurePosixPath(*name.parts[1:]))] = archive.extractfile(member).read()
    return files


_CSS_REFERENCE = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""")


def _css_dependencies(files, css_path):
    """Files a stylesheet of the package refers to (fonts, imports), recursively."""
    wanted, todo = set(), [css_path]
    while todo:
        current = todo.pop()
        if current in wanted:
            continue
        wanted.add(current)
        if not current.endswith(".css"):
            continue
        text = files[current].decode("utf-8", "replace")
        for ref in _CSS_REFERENCE.findall(text):
            ref = ref.split("#")[0].split("?")[0]
            if not ref or ref.startswith(("data:", "http:", "https:", "//")):
                continue
            resolved = os.path.normpath(str(PurePosixPath(current).parent / ref))
            if resolved in files:
                todo.append(resolved)
    return wanted


def copy_reveal(destination_folder, theme="white"):
    """Copy what nbconvert's slides need of reveal.js into
    ``destination_folder/reveal.js/``; return that folder's URL relative to
    ``destination_folder`` (nbconvert's ``reveal_url_prefix``).

    Copied: ``dist/reveal.js``, ``dist/reveal.css``, ``dist/theme/<theme>.css``
    with the fonts it uses, ``plugin/notes/notes.js`` and the licence.
    """
    target = Path(destination_folder) / REVEAL_FOLDER
    stamp = target / ".version"
    label = f"{REVEAL_VERSION} {theme}"
    if stamp.is_file() and stamp.read_text() == label:
        return REVEAL_FOLDER
    files = _package_files(_reveal_tarball())
    theme_css = f"dist/theme/{theme}.css"
    if theme_css not in files:
        themes = sorted(PurePosixPath(p).stem for p in files
                        if p.startswith("dist/theme/") and p.count("/") == 2 and p.endswith(".css"))
        raise OfflineError(f"reveal.js has no theme {theme!r}; it has {', '.join(themes)}")
    wanted = {"LICENSE", "dist/reveal.js", "dist/reveal.css", "plugin/notes/notes.js"}
    wanted |= _css_dependencies(files, theme_css)

    def fill(folder):
        """Write the chosen files of the package into ``folder``."""
        for name in sorted(wanted):
            out = folder / name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(files[name])
    _replace_folder(target, fill)
    stamp.write_text(label)
    return REVEAL_FOLDER


# --- checking pages ----------------------------------------------------------

_TAG_REFERENCE = re.compile(
    r"""<(script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?"""
    r"""\s(src|href|data)\s*=\s*["']([^"']*)["']""", re.IGNORECASE | re.DOTALL)
_IMPORT_REFERENCE = re.compile(r"""(?:\bimport\s*\(?|\bfrom)\s*["']([^"']+)["']""")


def page_resources(html):
    """Every resource an HTML page loads (scripts, stylesheets, images,
    fonts, frames, imports), as written: ``[(what, url)]``.

    Links a reader follows (``<a href>``) are not loads and are not listed;
    ``data:`` URLs are inline and are left out.
    """
    found = [(tag.lower(), url) for tag, _, url in _TAG_REFERENCE.findall(html)]
    found += [("css url()", url) for url in _CSS_REFERENCE.findall(html)]
    found += [("import", url) for url in _IMPORT_REFERENCE.findall(html)]
    return [(what, url.strip()) for what, url in found
            if url.strip() and not url.strip().startswith("data:")]
