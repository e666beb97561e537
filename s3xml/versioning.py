"""Bucket versioning documents: VersioningConfiguration (both ways) and ListVersionsResult."""

from __future__ import annotations

from dataclasses import replace

from .documents import quoted
from .listing import ListingParams, listing_encoding
from .listing import encode as _encode
from .records import VersionEntry, VersionsPage, storage_class
from .xml import Field, MalformedXML, child_text, document, iso8601, local, parse, serialize


def versioning_configuration(status: str) -> bytes:
    """GetBucketVersioning: no Status at all while versioning was never configured."""
    return serialize(document("VersioningConfiguration", [("Status", status or None)]))


def parse_versioning(body: bytes) -> tuple[str | None, str | None]:
    """Return (Status, MfaDelete) of a PutBucketVersioning body, as given (None when absent)."""
    root = parse(body)
    if local(root.tag) != "VersioningConfiguration":
        raise MalformedXML("expected VersioningConfiguration")
    mfa = child_text(root, "MfaDelete")
    if mfa is None:
        mfa = child_text(root, "MFADelete")
    status = child_text(root, "Status")
    return (status.strip() if status is not None else None), (mfa.strip() if mfa is not None else None)


def _owner(owner: str) -> Field:
    return "Owner", [("ID", owner), ("DisplayName", owner)]


def _version(entry: VersionEntry, encoding: str | None, owner: str) -> Field:
    fields: list[Field] = [
        ("Key", _encode(entry.key, encoding)),
        ("VersionId", entry.version_id),
        ("IsLatest", entry.is_latest),
        ("LastModified", iso8601(entry.updated)),
    ]
    obj = entry.obj
    if entry.delete_marker or obj is None:  # a delete marker is the one entry without an object
        return "DeleteMarker", fields + [_owner(owner)]
    fields += [("ETag", quoted(obj.etag)), ("Size", obj.size)]
    if obj.checksums:
        fields += [("ChecksumAlgorithm", alg) for alg in obj.checksums]
        if obj.checksum_type:
            fields.append(("ChecksumType", obj.checksum_type))
    return "Version", fields + [("StorageClass", storage_class(obj.headers)), _owner(owner)]


def list_versions(
    params: ListingParams, page: VersionsPage, *, key_marker: str, version_id_marker: str, owner: str
) -> bytes:
    """ListVersionsResult: versions and delete markers interleaved in listing order."""
    texts = [params.prefix, params.delimiter, key_marker, *(v.key for v in page.versions), *page.prefixes]
    if page.truncated:
        texts.append(page.next_key_marker or "")
    params = replace(params, encoding=listing_encoding(params.encoding, texts))
    fields: list[Field] = [
        ("Name", params.bucket),
        ("Prefix", _encode(params.prefix, params.encoding)),
        ("KeyMarker", _encode(key_marker, params.encoding)),
        ("VersionIdMarker", version_id_marker),
        ("MaxKeys", params.max_keys),
        ("Delimiter", _encode(params.delimiter, params.encoding) if params.delimiter else None),
        ("IsTruncated", page.truncated),
        ("EncodingType", params.encoding),
    ]
    if page.truncated:
        fields.append(("NextKeyMarker", _encode(page.next_key_marker, params.encoding)))
        fields.append(("NextVersionIdMarker", page.next_version_id_marker))
    fields += [_version(v, params.encoding, owner) for v in page.versions]
    fields += [("CommonPrefixes", [("Prefix", _encode(p, params.encoding))]) for p in page.prefixes]
    return serialize(document("ListVersionsResult", fields))
