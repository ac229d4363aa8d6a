"""Recordings are kept `RECORDING_RETENTION`, then deleted: the disk holds a bounded window of
calls, whoever places them.

Every media worker sweeps `RECORDINGS_DIR` (shared between workers and with the API): a
conversation's folder goes once its recording was last written longer ago than the retention.
Deleting is idempotent, so two workers sweeping the same folder at once only race to remove
the same files. A live call's recording is written to continuously and is never that old;
the worker's own calls are skipped anyway. The conversation's row stays (its history), and
`GET /api/conversations/{id}/recording` answers 404 once the file is gone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from collections.abc import Collection
from pathlib import Path

from app.media.protocol import RECORDING_FILENAME, is_conversation_id

log = logging.getLogger("voxhub.media")

MAX_SWEEP_INTERVAL = 3600.0
MIN_SWEEP_INTERVAL = 1.0


def sweep_interval(retention: float) -> float:
    """Often enough that nothing outlives the retention by more than a quarter of it."""
    return min(MAX_SWEEP_INTERVAL, max(MIN_SWEEP_INTERVAL, retention / 4))


def _last_written(folder: Path) -> float:
    try:
        return (folder / RECORDING_FILENAME).stat().st_mtime
    except FileNotFoundError:
        return folder.stat().st_mtime  # a call that recorded nothing yet, or a stray folder


def sweep(recordings_dir: str, retention: float, live: Collection[str]) -> int:
    """Delete the conversations' folders last written more than `retention` seconds ago,
    except `live` calls'; how many went. Blocking: run it in a thread."""
    cutoff = time.time() - retention
    removed = 0
    with contextlib.suppress(FileNotFoundError), os.scandir(recordings_dir) as entries:
        for entry in entries:
            if not is_conversation_id(entry.name) or entry.name in live:
                continue
            folder = Path(entry.path)
            try:
                if not entry.is_dir(follow_symlinks=False) or _last_written(folder) >= cutoff:
                    continue
                shutil.rmtree(folder)
            except FileNotFoundError:
                continue  # another worker swept it first
            except OSError:
                log.exception("could not delete the expired recording %s", folder)
                continue
            removed += 1
    return removed
