"""The storage service: an ordered key-value engine and versioned contexts over it."""

from dvidpy.storage.engine import Engine, ReadTxn, StoreFull, WriteTxn
from dvidpy.storage.session import Session
from dvidpy.storage.versioned import VersionedStore

__all__ = ["Engine", "ReadTxn", "WriteTxn", "StoreFull", "Session", "VersionedStore"]
