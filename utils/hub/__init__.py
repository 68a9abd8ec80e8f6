"""The course on a JupyterHub, launched from an LMS, with grades sent back.

- ``settings``   every setting of the hub and of the LMS, from one TOML file;
- ``config``     what the hub does with them (``jupyterhub_config.py`` calls it);
- ``lti_login``  the LTI 1.3 launch, checked, to a student of the roster;
- ``launches``   who launched: each student's LMS identity beside the roster id;
- ``lms_sync``   the course's scores posted to the LMS's gradebook (AGS).

Only the hub and ``lms-sync`` import these; grading and students never do.
"""
