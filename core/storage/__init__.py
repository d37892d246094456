"""The storage service: an ordered key-value engine and versioned contexts over it.

Importing the package registers the built-in engines (each module registers itself with
:data:`dvidpy.storage.engine.ENGINES`; the interface names none of them).
"""

from dvidpy.storage import lmdb as _lmdb  # noqa: F401  (registers the "lmdb" engine)
from dvidpy.storage import postgres as _postgres  # noqa: F401  (registers "postgres"; psycopg loads on use)
from dvidpy.storage.engine import Engine, ReadTxn, StoreFull, WriteTxn
from dvidpy.storage.session import Session
from dvidpy.storage.versioned import VersionedStore

__all__ = ["Engine", "ReadTxn", "WriteTxn", "StoreFull", "Session", "VersionedStore"]
