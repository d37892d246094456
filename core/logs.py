"""Where the log goes: stderr always, and the ``[logging] logfile`` of the config if set.

The file rotates past ``max_log_size`` MB, and rotated files older than ``max_log_age`` days
are deleted, as DVID's lumberjack logger does.
"""

from __future__ import annotations

import logging
import logging.handlers
import time
from pathlib import Path

from dvidpy.config import Config

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class AgingRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A size-rotated log whose rotated files are removed once older than ``max_days``."""

    def __init__(self, path: Path, *, max_mb: int, max_days: int) -> None:
        super().__init__(path, maxBytes=max_mb << 20, backupCount=1000)
        self.max_days = max_days

    def doRollover(self) -> None:
        super().doRollover()
        cutoff = time.time() - self.max_days * 86400
        for old in Path(self.baseFilename).parent.glob(Path(self.baseFilename).name + ".*"):
            if old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)


def configure_logging(config: Config, level: str) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if config.log_file is not None:
        config.log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(AgingRotatingFileHandler(config.log_file, max_mb=config.log_max_mb,
                                                 max_days=config.log_max_days))
    logging.basicConfig(level=level.upper(), format=FORMAT, handlers=handlers, force=True)
