"""Worker processes that end with their parent.

joblib's loky workers (``zonocomb reproduce --workers N``, ``exact_erm(n_jobs=...)``) outlive a
parent that is killed (``kill -9``, an out-of-memory kill, a closed terminal): they keep computing
for nobody. :func:`end_with_parent`, called at the start of the work a worker runs, asks the Linux
kernel to kill the worker when its parent process dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``).
Workers hold no results of their own (the parent writes every record), so nothing is lost.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys

__all__ = ["end_with_parent"]

_PR_SET_PDEATHSIG = 1
_armed = False


def end_with_parent() -> bool:
    """In a child process (``multiprocessing.parent_process()`` is set) on Linux, have the kernel
    send SIGKILL to this process when its parent dies; a no-op in the main process (a sweep started
    with ``nohup`` must survive its shell) and on other systems. Idempotent and cheap.

    Returns
    -------
    bool
        Whether the death signal is armed in this process.
    """
    global _armed
    parent = multiprocessing.parent_process()
    if _armed or parent is None or not sys.platform.startswith("linux"):
        return _armed
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        return False
    _armed = True
    if os.getppid() != parent.pid:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGKILL)
    return True
