"""The metadata store: every read and atomic write the core needs, and nothing else.

`MetaStore` owns the SQLite database and exposes one store per group of tables
(`store.buckets.get(...)`, `store.versions.delete(...)`). Every method of those stores is a
whole unit of work (one transaction or one read snapshot), so that another engine
(PostgreSQL for many gateway instances) can implement the same interface group by group.
The row-level helpers those units share run inside a transaction on the connection:
rows.py (records and blob reference counts), history.py (versioning), and
`objects_store.commit_object`, the one path by which any object becomes current.
"""

from __future__ import annotations

from pathlib import Path

from .access_store import AccessStore
from .audit_store import AuditStore
from .blobs_store import BlobsStore
from .buckets_store import BucketsStore
from .cluster_store import ClusterStore
from .console_store import ConsoleStore
from .credentials_store import CredentialsStore, SecretSealer
from .db import Database, SqliteDatabase
from .fileapi_store import FileApiStore
from .ftp_store import FtpStore
from .identity_store import IdentityStore
from .jobs_store import JobsStore
from .lifecycle_store import LifecycleStore
from .lock_store import LockStore
from .native_parts_store import NativePartsStore
from .notify_store import NotifyStore
from .objects_store import ObjectsStore
from .packages_store import PackagesStore
from .placement_store import PlacementStore
from .profiles_store import ProfilesStore
from .s3ext_store import S3ExtStore
from .sessions_store import SessionsStore
from .settings_cache import SettingsCache
from .settings_store import SettingsStore
from .spaces_store import SpacesStore
from .sse_store import SseStore
from .uploads_store import UploadsStore
from .versions_store import VersionsStore


class MetaStore:
    """The metadata store: one database (SQLite or PostgreSQL), one attribute per group of tables."""

    def __init__(self, db: Database | Path, box: SecretSealer | None = None) -> None:
        self.db = SqliteDatabase(db) if isinstance(db, Path) else db
        # what every write reads of its bucket's settings, cached per process (settings_cache.py)
        self.settings_cache = SettingsCache(
            self.db.path.with_name(self.db.path.name + ".settings-gen") if isinstance(self.db, SqliteDatabase) else None
        )
        self.credentials = CredentialsStore(self.db, box)  # box seals access-key secrets at rest
        self.buckets = BucketsStore(self.db, self.settings_cache)
        self.packages = PackagesStore(self.db)
        self.objects = ObjectsStore(self.db)
        self.uploads = UploadsStore(self.db)
        self.blobs = BlobsStore(self.db)
        self.versions = VersionsStore(self.db)
        self.s3ext = S3ExtStore(self.db)
        self.access = AccessStore(self.db)  # bucket and object ACLs, policies, ownership
        self.locks = LockStore(self.db, self.settings_cache)  # S3 Object Lock
        self.native_parts = NativePartsStore(self.db)
        self.spaces = SpacesStore(self.db)
        self.console = ConsoleStore(self.db, self.credentials)
        self.jobs = JobsStore(self.db)
        self.identity = IdentityStore(self.db, self.credentials.seal_secret)
        self.placement = PlacementStore(self.db, self.settings_cache)
        self.sse = SseStore(self.db, self.settings_cache)
        self.lifecycle = LifecycleStore(self.db)
        self.sessions = SessionsStore(self.db)  # web console logouts, SSE tickets, used console tokens
        self.cluster = ClusterStore(self.db)  # leases, generations, job cancel requests (several instances)
        self.audit = AuditStore(self.db)  # who changed what (gateway/core/audit.py)
        self.profiles = ProfilesStore(self.db)  # users' full names and settings (seed 004)
        self.ftp = FtpStore(self.db)  # FTP/SFTP logins and the servers' switch
        self.settings = SettingsStore(self.db)  # gateway-wide settings changed at run time (seed 003)
        self.notify = NotifyStore(self.db)  # bucket notifications, webhook targets, the event queue
        self.fileapi = FileApiStore(self.db)  # which role may call which file-API endpoint (seed 004)

    async def open(self) -> None:
        await self.db.open()

    async def close(self) -> None:
        await self.db.close()
