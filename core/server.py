"""The running server: store, repos, datatypes and throttle, and the services plugins reach
through their :class:`~dvidpy.datatypes.InstanceRequest`.
"""

from __future__ import annotations

import difflib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.responses import Response

from dvidpy import exclusions
from dvidpy.catalog import Catalog
from dvidpy.chunk_cache import ChunkCache, NeedsWorkerThread
from dvidpy.codecs import Compression, checksum_text, parse_checksum
from dvidpy.config import Config
from dvidpy.datastore import Datastore, Edit
from dvidpy.datatypes import Datatype, InstanceRequest, Region
from dvidpy.errors import bad_request, unavailable
from dvidpy.folder_lock import FolderLock
from dvidpy.instances import RESERVED_NAMES, Instance, Settings, parse_tags
from dvidpy.load import Latencies, LoadMonitor
from dvidpy.plugin_manager import Plugins
from dvidpy.storage.engine import open_engine, with_room
from dvidpy.storage.session import PastDeadline, Session
from dvidpy.storage.versioned import VersionConflict, VersionedStore
from dvidpy.throttle import Throttle
from dvidpy.timefmt import log_line
from dvidpy.versions import Node, Repo, new_uuid

log = logging.getLogger("dvidpy")

class Server:
    def __init__(self, config: Config, plugins: Plugins) -> None:
        self.config = config
        self.plugins = plugins
        self.engine = open_engine(config.engine, config.data, config.store_options)
        self.datastore = Datastore(
            self.engine,
            instance_id_start=config.instance_id_start,
            mutation_id_start=config.mutation_id_start,
            read_only=config.read_only,
        )
        self.throttle = Throttle(self._run_folder / "throttle", self.max_throttled_ops)
        self.load = LoadMonitor()
        self.latencies = Latencies()
        self.chunk_cache = ChunkCache(config.chunk_cache_mb << 20)
        self.started = time.time()
        self._closed = False
        self._close_lock = threading.Lock()
        self._purge_lock = threading.Lock()
        self._stopping = threading.Event()

    @property
    def _run_folder(self) -> Path:
        """Where the server's processes share small files (throttle slots, the purge lock)."""
        return self.config.data / "run"

    def max_throttled_ops(self) -> int:
        """The throttle's maximum: the value last set at run time (kept in the store, so every
        worker sees it), else the configured one."""
        return int(self.datastore.catalog().settings.get("throttle", self.config.max_throttled_ops))

    def set_max_throttled_ops(self, value: int) -> None:
        def change(edit: Edit) -> None:
            edit.settings["throttle"] = value

        self.datastore.change(change)

    @property
    def types(self):
        return self.plugins.types

    def datatype(self, typename: str) -> Datatype:
        registered = self.types.get(typename)
        if registered is None:
            close = difflib.get_close_matches(typename.lower(), list(self.types), n=1, cutoff=0.6)
            hint = f'; did you mean "{close[0]}"?' if close else ""
            raise bad_request(f'Data type "{typename}" is not supported by current DVID server{hint}')
        return registered.datatype

    def purge_soon(self) -> None:
        """Delete the data of deleted instances in a background thread (never in read-only mode:
        a read-only server leaves the store exactly as it found it)."""
        if self.config.read_only:
            return

        def purge() -> None:
            with self._purge_lock, FolderLock.try_take(self._run_folder, "purge.lock") as mine:
                if mine and not self._stopping.is_set():
                    n = self.datastore.purge_deleted(stop=self._stopping.is_set)
                    if n:
                        log.info("purged %d keys of deleted data instances", n)

        threading.Thread(target=purge, name="dvidpy-purge", daemon=True).start()

    def close(self) -> None:
        self._stopping.set()
        with self._close_lock, self._purge_lock:
            if not self._closed:
                self._closed = True
                self.engine.close()

    # -- instances ---------------------------------------------------------------------------------

    def new_instance(self, spec: str, settings: Settings, *, skip_locks: bool = False) -> tuple[Instance, Node]:
        """A new data instance at the node ``spec`` names, checked and added in one transaction."""
        typename = settings.text("typename")
        if not typename:
            raise bad_request("POST on repo endpoint requires specification of valid 'typename'")
        name = settings.text("dataname")
        if not name:
            raise bad_request("POST on repo endpoint requires specification of valid 'dataname'")
        datatype = self.datatype(typename)
        if name in RESERVED_NAMES:
            raise bad_request(f'cannot use reserved name "{name}"')
        if "/" in name:
            raise bad_request(f'data instance names cannot contain "/": "{name}"')
        dump = json.dumps(settings.as_dict(), sort_keys=True)

        def add(edit: Edit) -> tuple[Instance, Node]:
            repo, node = edit.resolve(spec)
            if node.locked and not skip_locks:
                raise bad_request(f"New data instance cannot be created on locked node {node.uuid}")
            if name in repo.instances:
                raise bad_request(f'Data named "{name}" already exists in repo (root {repo.root})')
            instance = Instance(
                name=name,
                typename=typename,
                instance_id=0,
                data_uuid=new_uuid(),
                root_uuid=node.uuid,
                versioned=settings.flag("versioned", True),
                compression=Compression.parse(settings.text("compression", "lz4")),
                checksum=parse_checksum(settings.text("checksum", "none")),
            )
            tags = settings.text("tags")
            instance.tags = parse_tags(tags) if tags is not None else None
            instance.syncs = self.sync_targets(repo, settings.text("sync", ""))
            datatype.create(settings, instance)
            instance.instance_id = edit.new_instance_id()
            repo.instances[name] = instance
            repo.log.append(log_line(f'New data instance "{name}" of type "{typename}" with config {dump}'))
            repo.touch()
            return instance, node

        return self.datastore.change(add)

    def rename_instance(self, spec: str, old: str, new: str, check: Callable[[Repo], None]) -> None:
        def rename(edit: Edit) -> None:
            repo, _ = edit.resolve(spec)
            check(repo)
            if old not in repo.instances:
                raise bad_request(f'no data instance "{old}" in repo {repo.root}')
            if new in repo.instances:
                raise bad_request(f'Data named "{new}" already exists in repo (root {repo.root})')
            instance = repo.instances.pop(old)
            instance.name = new
            repo.instances[new] = instance
            repo.log.append(log_line(f'Renamed data instance "{old}" to "{new}"'))
            repo.touch()

        self.datastore.change(rename)

    def delete_instance(self, spec: str, name: str, check: Callable[[Repo], None]) -> Repo:
        """Remove an instance from its repo at once; its data is purged in the background."""

        def remove(edit: Edit) -> Repo:
            repo, _ = edit.resolve(spec)
            check(repo)
            if name not in repo.instances:
                raise bad_request(f'no data instance "{name}" in repo {repo.root}')
            instance = repo.instances.pop(name)
            repo.log.append(log_line(f"Delete data instance '{name}' of type '{instance.typename}'"))
            repo.touch()
            edit.mark_for_purge(instance.instance_id)
            return repo

        return self.datastore.change(remove)

    def sync_targets(self, repo: Repo, names: str) -> list[str]:
        """Data UUIDs of the comma-separated instance names (DVID's ``sync`` setting)."""
        out = []
        for name in filter(None, (n.strip() for n in names.split(","))):
            target = repo.instances.get(name)
            if target is None:
                raise bad_request(f'Unable to sync with "{name}": no such data instance in repo')
            out.append(target.data_uuid)
        return out

    def base_info(self, repo: Repo, instance: Instance) -> dict[str, Any]:
        # An instance whose plugin is not installed (or is blocked) is still listed, with an
        # empty type URL and version: one missing plugin must not hide every repo from clients.
        registered = self.types.get(instance.typename)
        return {
            "TypeName": instance.typename,
            "TypeURL": registered.datatype.url if registered else "",
            "TypeVersion": registered.datatype.version if registered else "",
            "DataUUID": instance.data_uuid,
            "Name": instance.name,
            "RepoUUID": instance.root_uuid,
            "Compression": str(instance.compression),
            "Checksum": checksum_text(instance.checksum),
            "Syncs": self.sync_names(repo, instance),
            "Versioned": instance.versioned,
            "KVStore": self.engine.describe(),
            "LogStore": "no mutation log set",
            "Tags": instance.tags,
        }

    def describe(self, repo: Repo, instance: Instance) -> dict[str, Any]:
        """The instance as repo info lists it; the generic form if its datatype is missing."""
        base = self.base_info(repo, instance)
        registered = self.types.get(instance.typename)
        if registered is None:
            return {"Base": base, "Extended": {}}
        return registered.datatype.describe(instance, base)

    @staticmethod
    def sync_names(repo: Repo, instance: Instance) -> list[str]:
        by_uuid = {inst.data_uuid: inst.name for inst in repo.instances.values()}
        return [by_uuid[data_uuid] for data_uuid in instance.syncs if data_uuid in by_uuid]

    def versioned_store(self, session: Session, repo: Repo, node: Node, instance: Instance) -> VersionedStore:
        """An instance's data seen from ``node``; unversioned instances always use the root."""
        version = node.version_id if instance.versioned else repo.root_node.version_id
        return VersionedStore(session, instance.instance_id, self.datastore.ancestry(repo, version))

    # -- what an InstanceRequest asks of the core (core.datatypes.RequestServices) -------------------

    def throttle_slot(self):
        return self.throttle.slot()

    def host_label(self) -> str:
        return self.config.host_label

    def cached(self, req: InstanceRequest, key_of: Callable[[], bytes], make: Callable[[], bytes]) -> bytes:
        """From the chunk cache; a request on the event loop's thread never encodes there
        (encoding holds the loop for milliseconds): it goes to a worker thread instead."""
        if not req._inline:
            return self.chunk_cache.get_or_make(key_of, make)

        def refuse() -> bytes:
            raise NeedsWorkerThread

        return self.chunk_cache.get_or_make(key_of, refuse)

    def store_for(self, req: InstanceRequest, instance: Instance) -> VersionedStore:
        return self.versioned_store(req.store.session, req._repo, req._node, instance)

    def region(self, req: InstanceRequest, name: str) -> Region:
        other = req.instance_named(name)
        if other is None:
            raise bad_request(f'Can\'t get ROI with name "{name}": no data instance of that name')
        region = self.plugins.region(other, self.store_for(req, other))
        if region is None:
            raise bad_request(
                f'Can\'t get ROI with name "{name}": it is a {other.typename}, not a region of interest'
            )
        return region

    def save_instance(self, req: InstanceRequest, change: Callable[[], None]) -> None:
        """Apply ``change`` to the request's own copy of its repo and write the repo with the
        request's transaction (a data request's copy is private: see run_instance_request)."""
        repo = req._repo

        def save(edit: Edit) -> None:
            change()
            edit.add_repo(repo)

        self.datastore.change(save, req.store.session)

    def mutation_id(self, req: InstanceRequest) -> int:
        return self.datastore.next_mutation_id(req._repo.repo_id, req.store.session.writer())

    # -- running instance requests ------------------------------------------------------------------

    def run_instance_request(self, target: Target, make: Callable[..., InstanceRequest]) -> Response:
        """Run one instance request in this (worker) thread, in one transaction.

        A mutating request takes the write transaction first, with its write exclusions
        (:mod:`dvidpy.exclusions`), then finds its node and instance again *inside* it: the
        node must still be open and the instance the same one (its data UUID) as when the
        request arrived, whatever other requests, workers or servers did in the meantime. If
        the store fills up, the transaction is dropped, the store grows, and the request runs
        again from the start (as it does when the engine gives it up for a concurrent one).
        """

        deadline = time.monotonic() + self.config.request_timeout

        def attempt() -> Response:
            with Session(self.engine, writable=target.writable, deadline=deadline) as session:
                if target.mutation:
                    txn = session.writer()
                    exclusions.for_data_write(txn)
                    repo, _, _ = self._recheck(target, self.datastore.catalog(txn))
                    exclusions.for_repo_write(txn, repo.repo_id)
                    # Again, now that no other write of the repo runs: one that ended while
                    # this one waited may have changed the repo's record.
                    repo, node, instance = self._recheck(target, self.datastore.catalog(txn))
                    repo = Repo.from_record(repo.to_record())  # the request's own copy to change
                    node, instance = repo.nodes[node.version_id], repo.instances[instance.name]
                    return self._handle(make(session, repo, node, instance))
                with session.reading() as txn:  # one snapshot for the metadata and the data
                    repo, node, instance = self._recheck(target, self.datastore.catalog(txn))
                    return self._handle(make(session, repo, node, instance))

        try:
            return with_room(self.engine, attempt)
        except VersionConflict as exc:
            raise bad_request(str(exc)) from exc
        except PastDeadline:
            raise unavailable(f"the request ran longer than this server's request_timeout "
                              f"({self.config.request_timeout} s) and was stopped; nothing was written") from None

    def _handle(self, req: InstanceRequest) -> Response:
        return self.datatype(req.instance.typename).handle(req)

    def _recheck(self, target: Target, catalog: Catalog) -> tuple[Repo, Node, Instance]:
        try:
            repo, node = catalog.node(target.uuid)
        except KeyError:
            raise bad_request(f"could not find UUID with partial match to {target.uuid}") from None
        instance = repo.instances.get(target.name)
        if instance is None or instance.data_uuid != target.data_uuid:
            raise bad_request(f'data instance "{target.name}" was deleted or replaced while the request was sent')
        if target.mutation and instance.versioned and node.locked and not target.skip_locks:
            raise bad_request(f'Cannot do {target.method} on endpoint "{target.keyword}" of locked node {node.uuid}')
        return repo, node, instance


@dataclass(frozen=True)
class Target:
    """What a data request addresses, fixed when it arrives and re-checked where it acts."""

    uuid: str
    name: str
    data_uuid: str
    method: str
    keyword: str
    mutation: bool
    writable: bool
    skip_locks: bool
