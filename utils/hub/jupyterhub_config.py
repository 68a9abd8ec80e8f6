"""The course's JupyterHub: ``jupyterhub -f utils/hub/jupyterhub_config.py``.

``make hub`` starts it.  Every setting comes from one TOML file
(``$NN_KIT_HUB``, else /etc/nn-kit/hub.toml; see utils/hub/hub.example.toml),
and what the hub does with them is :func:`utils.hub.config.configure`.
"""
import sys
from pathlib import Path

KIT = str(Path(__file__).resolve().parents[2])
if KIT not in sys.path:
    sys.path.insert(0, KIT)

from utils.hub.config import configure  # noqa: E402
from utils.hub.settings import HubSettingsError, load  # noqa: E402

try:
    configure(get_config(), load())  # noqa: F821  (JupyterHub provides get_config)
except HubSettingsError as err:
    sys.exit(f"error: {err}")
