"""JSON shapes of the native API: buckets, packages, objects (sizes as strings, RFC 3339 times)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.core.models import Bucket, ObjectInfo, Package


def rfc3339(timestamp: float) -> str:
    """Local time with its UTC offset, e.g. 2025-06-24T16:31:28.514875+08:00."""
    return datetime.fromtimestamp(timestamp).astimezone().isoformat()


def bucket_view(bucket: Bucket) -> dict[str, Any]:
    return {"bucketID": bucket.id, "name": bucket.name, "createTime": rfc3339(bucket.created)}


def package_view(package: Package) -> dict[str, Any]:
    return {
        "packageID": package.id,
        "name": package.name,
        "bucketID": package.bucket_id,
        "createTime": rfc3339(package.created),
    }


def object_view(obj: ObjectInfo) -> dict[str, Any]:
    return {
        "objectID": obj.id,
        "packageID": obj.package_id,
        "path": obj.path,
        "size": str(obj.size),
        "fileHash": obj.file_hash,
        "redundancy": {"type": obj.redundancy},
        "createTime": rfc3339(obj.created),
        "updateTime": rfc3339(obj.updated),
    }
