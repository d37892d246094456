"""imageblk (uint8blk, uint16blk, uint32blk, uint64blk, float32blk, rgba8blk) over HTTP: every
endpoint, every type, ROI masking, versions, throttling, and bad input (each a clear 4xx that
writes nothing), one module per part of the API.

This folder is a package on purpose. Under pytest's default ``prepend`` import mode a conftest
outside a package is imported as the top-level module ``conftest``, replacing tests/conftest.py in
``sys.modules``, and every later ``from conftest import error_message`` would then find this
folder's conftest instead. As a package, its modules are ``imageblk.conftest``,
``imageblk.volumes`` and ``imageblk.test_*``: ``conftest`` stays tests/conftest.py, and
``imageblk.test_roi`` does not collide with tests/test_roi.py. The modules here import the shared
helpers relatively (``from .volumes import ...``).
"""
