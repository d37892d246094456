"""dvidpy.client against a real ``dvidpy serve`` (two worker processes on an LMDB store in a
temporary folder), started once for the whole folder: every client call, arrays of every type,
ingest and export through the real ``dvidpy`` command.

A package for the reason tests/imageblk is one: its conftest must not replace tests/conftest.py
as the top-level module ``conftest``.
"""
