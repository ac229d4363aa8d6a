"""Prepare prometheus_client's multiprocess folder before prometheus_client is imported.

Kept free of prometheus imports on purpose: the library reads PROMETHEUS_MULTIPROC_DIR once,
at import time, so the CLI must call this first.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ENV_VAR = "PROMETHEUS_MULTIPROC_DIR"

# prometheus_client's sample files: `<kind>_<pid>.db` (gauges add their mode to the kind).
SAMPLE_FILE = re.compile(r"(counter|histogram|summary|gauge_[a-z]+)_\d+\.db")


def prepare_multiprocess_dir(path: str) -> None:
    """Forget the last run's samples and export the folder; once, in the parent, before
    workers start.

    Only prometheus_client's own sample files are removed, never the folder: a misconfigured
    path (the working directory, a data folder holding an SQLite database) loses nothing else.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for entry in folder.iterdir():
        if entry.is_file() and SAMPLE_FILE.fullmatch(entry.name):
            entry.unlink(missing_ok=True)
    os.environ[ENV_VAR] = str(folder.resolve())
