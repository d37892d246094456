"""The write exclusions every write transaction of the core takes, and in which order.

On LMDB one write transaction runs at a time, so each of the core's read-modify-writes (the
catalog, a node's open check, an instance's blocks and extents, a repo's mutation ids) is safe
by construction. A database server shared by several dvidpy servers runs write transactions
at once; these exclusions (:meth:`WriteTxn.lock`, no-ops on LMDB) give back exactly what the
core relies on:

* ``WRITES`` — a metadata change (:meth:`Datastore.change` on its own: new repos, versions,
  commits, instances, settings) holds it **exclusively**; every data write holds it
  **shared**. So a commit waits for the writes in flight to end and every later write sees
  the node committed: no data lands in a committed version, and no write reaches an instance
  that was deleted or replaced after the write checked it.
* ``repo(id)`` — a data write holds its repo's **exclusively** from before it re-checks its
  node and instance to its end. Writes of one repo take turns (like every write on LMDB), so
  partial-block and extents read-modify-writes, writes to synced instances, the repo's record
  and its mutation-id counter never interleave; writes to different repos run side by side.
* ``CATALOG`` — a data write that changes its repo's record (:meth:`InstanceRequest.save_instance`)
  holds it **exclusively** from there to its end, so metadata generations, which count every
  catalog change of every repo, are handed out one at a time.

Every transaction takes them in the order ``WRITES``, ``repo``, ``CATALOG`` and never takes a
shared one it holds exclusively or the other way round, so waiting cannot deadlock.
"""

from __future__ import annotations

from dvidpy.storage.engine import WriteTxn

WRITES = b"writes"
CATALOG = b"catalog"


def repo(repo_id: int) -> bytes:
    return b"repo:%d" % repo_id


def for_metadata_change(txn: WriteTxn) -> None:
    """A change of repos, versions, instances or settings made on its own."""
    txn.lock(WRITES)


def for_data_write(txn: WriteTxn) -> None:
    """The first step of a data write: before it reads which repo and node it writes to."""
    txn.lock(WRITES, shared=True)


def for_repo_write(txn: WriteTxn, repo_id: int) -> None:
    """A data write's turn in its repo (after :func:`for_data_write`)."""
    txn.lock(repo(repo_id))


def for_catalog_write(txn: WriteTxn) -> None:
    """A data write about to change its repo's record (after :func:`for_repo_write`)."""
    txn.lock(CATALOG)
