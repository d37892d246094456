"""``python -m dvidpy``: the same command line as ``dvidpy``."""

import sys

from dvidpy.cli import main

sys.exit(main())
