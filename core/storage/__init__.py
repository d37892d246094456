"""The storage service: an ordered key-value engine and versioned contexts over it."""

from core.storage.engine import Engine, ReadTxn, StoreFull, WriteTxn
from core.storage.session import Session
from core.storage.versioned import VersionedStore

__all__ = ["Engine", "ReadTxn", "WriteTxn", "StoreFull", "Session", "VersionedStore"]
