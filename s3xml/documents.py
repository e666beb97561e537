"""Render every S3 response document and parse every S3 request document.

Renderers take plain values or the core's read-only records; parsers return plain values
and raise MalformedXML / ValueError with a message for the client.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gateway.domain.errors import ErrorCode

from .errors import message_of
from .listing import encode as _encode
from .listing import listing_encoding
from .records import BucketRecord, StoredObject, UploadedPart, UploadRecord, storage_class
from .xml import (
    Field,
    MalformedXML,
    add,
    child_text,
    children,
    document,
    iso8601,
    local,
    parse,
    serialize,
)

CHECKSUM_FIELDS = {
    "CRC32": "ChecksumCRC32",
    "CRC32C": "ChecksumCRC32C",
    "SHA1": "ChecksumSHA1",
    "SHA256": "ChecksumSHA256",
    "CRC64NVME": "ChecksumCRC64NVME",
}


def quoted(etag: str) -> str:
    return f'"{etag}"'


def checksum_fields(checksums: Mapping[str, str], checksum_type: str = "") -> list[Field]:
    fields: list[Field] = [(CHECKSUM_FIELDS[alg], value) for alg, value in checksums.items() if alg in CHECKSUM_FIELDS]
    if fields and checksum_type:
        fields.append(("ChecksumType", checksum_type))
    return fields


# ---------------------------------------------------------------- errors


def error_document(
    code: ErrorCode, message: str, *, resource: str, request_id: str, extra: dict[str, object] | None = None
) -> bytes:
    fields: list[Field] = [("Code", code), ("Message", message or message_of(code))]
    fields += [(k, str(v)) for k, v in (extra or {}).items()]
    fields += [("Resource", resource), ("RequestId", request_id)]
    return serialize(document("Error", fields, namespace=False))


# ---------------------------------------------------------------- buckets


def list_buckets(
    buckets: Iterable[BucketRecord],
    owner_id: str,
    owner_name: str | None = None,
    *,
    regions: dict[str, str] | None = None,
    prefix: str | None = None,
    continuation_token: str | None = None,
) -> bytes:
    """ListBuckets' answer; `regions` (bucket name -> region) adds each bucket's BucketRegion."""
    root = document("ListAllMyBucketsResult")
    if owner_id:
        add(root, [("Owner", [("ID", owner_id), ("DisplayName", owner_name or owner_id)])])
    entries = []
    for b in buckets:
        fields = [("Name", b.name), ("CreationDate", iso8601(b.created))]
        if regions is not None:
            fields.append(("BucketRegion", regions[b.name]))
        entries.append(("Bucket", fields))
    add(root, [("Buckets", entries)] if entries else [("Buckets", "")])
    if continuation_token is not None:
        add(root, [("ContinuationToken", continuation_token)])
    if prefix is not None:
        add(root, [("Prefix", prefix)])
    return serialize(root)


def location(region: str) -> bytes:
    root = document("LocationConstraint")
    root.text = "" if region == "us-east-1" else region
    return serialize(root)


def parse_create_bucket(body: bytes) -> str | None:
    """Return the LocationConstraint of a CreateBucketConfiguration (None when the body is empty)."""
    if not body.strip():
        return None
    root = parse(body)
    if local(root.tag) != "CreateBucketConfiguration":
        raise MalformedXML("expected CreateBucketConfiguration")
    return child_text(root, "LocationConstraint")


# ---------------------------------------------------------------- objects


def copy_object_result(obj: StoredObject) -> bytes:
    fields: list[Field] = [("ETag", quoted(obj.etag)), ("LastModified", iso8601(obj.updated))]
    fields += checksum_fields(obj.checksums, obj.checksum_type)
    return serialize(document("CopyObjectResult", fields))


def parse_delete(body: bytes) -> tuple[list[tuple[str, str | None]], bool]:
    """Return ([(key, version_id)], quiet) from a Delete document."""
    root = parse(body)
    if local(root.tag) != "Delete":
        raise MalformedXML("expected Delete")
    quiet = (child_text(root, "Quiet", "false") or "").strip().lower() == "true"
    keys: list[tuple[str, str | None]] = []
    for entry in children(root, "Object"):
        key = child_text(entry, "Key")
        if key is None:
            raise MalformedXML("Object without Key")
        keys.append((key, child_text(entry, "VersionId")))
    if not keys or len(keys) > 1000:
        raise MalformedXML("Delete must name between 1 and 1000 objects")
    return keys, quiet


@dataclass(slots=True)
class DeleteOutcome:
    key: str
    error_code: ErrorCode | None = None
    error_message: str = ""
    version_id: str | None = None  # the version the client named
    delete_marker: bool = False  # a marker was created, or the version deleted was one
    delete_marker_version_id: str | None = None


def delete_result(outcomes: Sequence[DeleteOutcome], quiet: bool) -> bytes:
    fields: list[Field] = []
    for outcome in outcomes:
        if outcome.error_code:
            fields.append(
                (
                    "Error",
                    [
                        ("Key", outcome.key),
                        ("VersionId", outcome.version_id),
                        ("Code", outcome.error_code),
                        ("Message", outcome.error_message or message_of(outcome.error_code)),
                    ],
                )
            )
        elif not quiet:
            fields.append(
                (
                    "Deleted",
                    [
                        ("Key", outcome.key),
                        ("VersionId", outcome.version_id),
                        ("DeleteMarker", True if outcome.delete_marker else None),
                        ("DeleteMarkerVersionId", outcome.delete_marker_version_id),
                    ],
                )
            )
    return serialize(document("DeleteResult", fields))


# ---------------------------------------------------------------- multipart


def initiate_multipart(bucket: str, key: str, upload_id: str) -> bytes:
    return serialize(
        document("InitiateMultipartUploadResult", [("Bucket", bucket), ("Key", key), ("UploadId", upload_id)])
    )


def copy_part_result(part: UploadedPart) -> bytes:
    fields: list[Field] = [("ETag", quoted(part.etag)), ("LastModified", iso8601(part.updated))]
    fields += checksum_fields(part.checksums)
    return serialize(document("CopyPartResult", fields))


def parse_complete(body: bytes) -> list[tuple[int, str, dict[str, str]]]:
    """Return [(part number, etag, {algorithm: checksum})] from CompleteMultipartUpload."""
    root = parse(body)
    if local(root.tag) != "CompleteMultipartUpload":
        raise MalformedXML("expected CompleteMultipartUpload")
    parts: list[tuple[int, str, dict[str, str]]] = []
    for entry in children(root, "Part"):
        number, etag = child_text(entry, "PartNumber"), child_text(entry, "ETag")
        if number is None or etag is None:
            raise MalformedXML("Part needs PartNumber and ETag")
        try:
            parsed = int(number)
        except ValueError:
            raise MalformedXML("PartNumber must be an integer") from None
        sums = {alg: text for alg, name in CHECKSUM_FIELDS.items() if (text := child_text(entry, name))}
        parts.append((parsed, etag, sums))
    return parts


def complete_multipart(location_url: str, bucket: str, key: str, obj: StoredObject) -> bytes:
    fields: list[Field] = [("Location", location_url), ("Bucket", bucket), ("Key", key), ("ETag", quoted(obj.etag))]
    fields += checksum_fields(obj.checksums, obj.checksum_type)
    return serialize(document("CompleteMultipartUploadResult", fields))


def _who(identity: str) -> list[Field]:
    return [("ID", identity), ("DisplayName", identity)]


def list_parts(
    upload: UploadRecord, parts: Sequence[UploadedPart], *, marker: int, max_parts: int, truncated: bool, owner: str
) -> bytes:
    """`owner`: the bucket owner's id (the completed object's owner); the Initiator is the upload's."""
    fields: list[Field] = [
        ("Bucket", upload.bucket),
        ("Key", upload.key),
        ("UploadId", upload.id),
        ("Initiator", _who(upload.owner)),
        ("Owner", _who(owner)),
        ("StorageClass", storage_class(upload.headers)),
        ("PartNumberMarker", marker),
        ("NextPartNumberMarker", parts[-1].number if parts else marker),
        ("MaxParts", max_parts),
        ("IsTruncated", truncated),
        ("ChecksumAlgorithm", upload.checksum_algorithm or None),
        ("ChecksumType", upload.checksum_type or None),
    ]
    for part in parts:
        entry: list[Field] = [
            ("PartNumber", part.number),
            ("LastModified", iso8601(part.updated)),
            ("ETag", quoted(part.etag)),
            ("Size", part.size),
        ]
        fields.append(("Part", entry + checksum_fields(part.checksums)))
    return serialize(document("ListPartsResult", fields))


def list_uploads(
    bucket: str,
    uploads: Sequence[UploadRecord],
    *,
    prefix: str,
    delimiter: str,
    key_marker: str,
    upload_id_marker: str,
    max_uploads: int,
    truncated: bool,
    encoding: str | None,
    prefixes: Sequence[str] = (),
    owner: str,
) -> bytes:
    """`owner`: the bucket owner's id; each upload's Initiator is the key that started it."""
    encoding = listing_encoding(encoding, [prefix, delimiter, key_marker, *(u.key for u in uploads), *prefixes])
    fields: list[Field] = [
        ("Bucket", bucket),
        ("KeyMarker", _encode(key_marker, encoding)),
        ("UploadIdMarker", upload_id_marker),
        ("NextKeyMarker", _encode(uploads[-1].key, encoding) if truncated and uploads else None),
        ("NextUploadIdMarker", uploads[-1].id if truncated and uploads else None),
        ("Prefix", _encode(prefix, encoding)),
        ("Delimiter", _encode(delimiter, encoding) or None),
        ("MaxUploads", max_uploads),
        ("IsTruncated", truncated),
        ("EncodingType", encoding),
    ]
    for upload in uploads:
        fields.append(
            (
                "Upload",
                [
                    ("Key", _encode(upload.key, encoding)),
                    ("UploadId", upload.id),
                    ("Initiator", _who(upload.owner)),
                    ("Owner", _who(owner)),
                    ("StorageClass", storage_class(upload.headers)),
                    ("Initiated", iso8601(upload.created)),
                    ("ChecksumAlgorithm", upload.checksum_algorithm or None),
                ],
            )
        )
    fields += [("CommonPrefixes", [("Prefix", _encode(p, encoding))]) for p in prefixes]
    return serialize(document("ListMultipartUploadsResult", fields))


# ---------------------------------------------------------------- browser-form uploads


def post_response(location_url: str, bucket: str, key: str, etag: str) -> bytes:
    """POST Object's answer to success_action_status=201."""
    fields: list[Field] = [("Location", location_url), ("Bucket", bucket), ("Key", key), ("ETag", quoted(etag))]
    return serialize(document("PostResponse", fields, namespace=False))
