"""Prepare prometheus_client's multiprocess folder before prometheus_client is imported.

Kept free of prometheus imports on purpose: the library reads PROMETHEUS_MULTIPROC_DIR once,
at import time, so the CLI must call this first.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ENV_VAR = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir(path: str) -> None:
    """Wipe and export the samples folder; once, in the parent, before workers start."""
    folder = Path(path)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ[ENV_VAR] = str(folder.resolve())
