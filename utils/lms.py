"""``import-zips``: submissions downloaded from a learning platform, imported.

``python -m utils import-zips <assignment> <download.zip or folder>`` and
nbgrader's ``zip_collect`` (its extractor and naming set in the course's
``nbgrader_config.py``) take a platform's download through
:mod:`utils.grader.downloads`, where the vetting and the import live: the
grading service imports the downloads dropped into its drop folder with the
same code.  The names below are that module's, importable from here as they
always were.
"""
from .grader.downloads import (EXTRACTED_NAMING, MAX_DOWNLOAD_BYTES,  # noqa: F401
                               MAX_DOWNLOAD_MEMBERS, MAX_FILE_BYTES, MAX_MEMBERS, MAX_RATIO,
                               MAX_TOTAL_BYTES, NAMINGS, REPORT, SAFE_PART, Imported, Refused,
                               VettedExtractor, import_zips, vet)

__all__ = ["EXTRACTED_NAMING", "MAX_DOWNLOAD_BYTES", "MAX_DOWNLOAD_MEMBERS", "MAX_FILE_BYTES",
           "MAX_MEMBERS", "MAX_RATIO", "MAX_TOTAL_BYTES", "NAMINGS", "REPORT", "SAFE_PART",
           "Imported", "Refused", "VettedExtractor", "import_zips", "vet"]
