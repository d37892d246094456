"""What a worker process of ``dvidpy serve --workers N`` does besides serving: end with its
supervisor.

Linux's parent-death signal covers the supervisor dying after the worker started; a worker that
was still starting when its supervisor died would miss it, so a watchdog thread also checks once
a second that the supervisor is still the parent, and ends the worker (gracefully) if not.
"""

from __future__ import annotations

import os
import signal
import threading
import time

SUPERVISOR_ENV = "DVIDPY_SUPERVISOR_PID"


def die_with_parent() -> None:
    expected = int(os.environ.get(SUPERVISOR_ENV, os.getppid()))
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == expected:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="dvidpy-supervisor-watch", daemon=True).start()
