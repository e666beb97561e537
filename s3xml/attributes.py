"""The GetObjectAttributes response document."""

from __future__ import annotations

from .documents import checksum_fields
from .records import AttributesView, storage_class
from .xml import Field, document, serialize


def object_attributes(view: AttributesView) -> bytes:
    """Render a `gateway.core.attributes.ObjectAttributes`; only the requested elements appear."""
    obj, wanted = view.obj, view.wanted
    fields: list[Field] = []
    if "ETag" in wanted:
        fields.append(("ETag", obj.etag))  # unquoted, unlike every other ETag S3 returns
    if "Checksum" in wanted and obj.checksums:
        fields.append(("Checksum", checksum_fields(obj.checksums, obj.checksum_type)))
    if "ObjectParts" in wanted and view.parts is not None:
        page = view.parts
        parts: list[Field] = [("PartsCount", page.total)]
        if page.recorded:
            parts += [
                ("PartNumberMarker", page.marker),
                ("NextPartNumberMarker", page.next_marker),
                ("MaxParts", page.max_parts),
                ("IsTruncated", page.truncated),
            ]
            for part in page.parts:
                parts.append(
                    ("Part", [("PartNumber", part.number), ("Size", part.size), *checksum_fields(part.checksums)])
                )
        fields.append(("ObjectParts", parts))
    if "StorageClass" in wanted:
        fields.append(("StorageClass", storage_class(obj.headers)))
    if "ObjectSize" in wanted:
        fields.append(("ObjectSize", obj.size))
    return serialize(document("GetObjectAttributesResponse", fields))
