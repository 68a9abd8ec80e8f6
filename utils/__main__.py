"""``python -m utils``: the instructor's command line (see :mod:`utils.cli`)."""
import sys

from .cli import main

sys.exit(main())
