"""The hot path (dvidpy.native): the compiled codec against python-lz4, the compiled path
against its pure-Python twin, and both over HTTP. A package, so that its conftest.py is
``native.conftest`` and ``from conftest import ...`` elsewhere still finds tests/conftest.py
(see tests/imageblk/__init__.py)."""
