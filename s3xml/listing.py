"""ListObjects (v1) and ListObjectsV2 pages, written as text.

A page holds up to a thousand entries of six to ten elements each. Built as an lxml tree
(one `SubElement` and one text assignment per element) and serialized, a 1,000-key page cost
8 ms of the server's CPU, more than reading it from the index; written here as strings it
costs about a tenth of that. The bytes are the ones `xml.serialize(xml.document(...))` wrote
(tests/unit/test_listing_xml.py checks that on arbitrary keys): the same declaration, the
S3 namespace on the root, `<Tag></Tag>` for an empty text, and the text escaped as libxml2
escapes it (`&`, `<`, `>`, and CR as `&#13;`), after `xml_text` has replaced what XML 1.0
cannot carry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

from .records import ObjectPage, StoredObject, storage_class
from .xml import S3_NS, XML_FORBIDDEN, iso8601, xml_carries, xml_text

_HEAD = f"<?xml version='1.0' encoding='UTF-8'?>\n<ListBucketResult xmlns=\"{S3_NS}\">"
_TAIL = "</ListBucketResult>"
# what a text must not hold as is: markup characters, CR (libxml2 writes it as &#13;), and
# whatever XML 1.0 cannot carry (xml_text's business)
_NOT_PLAIN = re.compile("[&<>\r" + XML_FORBIDDEN.pattern[1:])
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_MARKUP = re.compile("[&<>\r]")


@dataclass(slots=True)
class ListingParams:
    bucket: str
    prefix: str
    delimiter: str
    max_keys: int
    encoding: str | None


def text(value: str) -> str:
    """`value` as the text of an element (checked once: most keys hold nothing to escape)."""
    if _NOT_PLAIN.search(value) is None:
        return value
    return _MARKUP.sub(lambda m: _ESCAPES[m.group()], xml_text(value))


def encode(value: str, encoding: str | None) -> str:
    """encoding-type=url: keys are percent-encoded (botocore decodes them back)."""
    return quote(value, safe="/") if encoding == "url" else value


def listing_encoding(requested: str | None, texts: Iterable[str]) -> str | None:
    """The encoding a listing page is written in: the one asked for, or `url` when a key,
    prefix or echoed parameter holds a character XML 1.0 cannot carry. The page then says
    <EncodingType>url</EncodingType>, so it stays parseable and tells how to read it."""
    if requested == "url" or xml_carries("".join(texts)):  # one search over a page, not one per key
        return requested
    return "url"


def _page_encoding(params: ListingParams, page: ObjectPage, echoed: str) -> str | None:
    """`listing_encoding` over every text of the page that the encoding applies to."""
    texts = [params.prefix, params.delimiter, echoed, *(o.key for o in page.objects), *page.prefixes, page.next_marker]
    return listing_encoding(params.encoding, texts)


def _element(out: list[str], name: str, value: str | int | bool | None) -> None:
    """One simple element (None: none at all), as `xml.add` writes it."""
    if value is None:
        return
    if isinstance(value, bool):
        body = "true" if value else "false"
    elif isinstance(value, int):
        body = str(value)
    else:
        body = text(value)
    out.append(f"<{name}>{body}</{name}>")


def _entries(out: list[str], page: ObjectPage, encoding: str | None, owner: str | None) -> None:
    owned = "" if owner is None else f"<Owner><ID>{text(owner)}</ID><DisplayName>{text(owner)}</DisplayName></Owner>"
    url = encoding == "url"
    for obj in page.objects:
        out.append(_contents(obj, url, owned))
    for common in page.prefixes:
        out.append(
            f"<CommonPrefixes><Prefix>{text(quote(common, safe='/') if url else common)}</Prefix></CommonPrefixes>"
        )


def _contents(obj: StoredObject, url: bool, owned: str) -> str:
    key = text(quote(obj.key, safe="/") if url else obj.key)
    checksums = ""
    if obj.checksums:
        checksums = "".join(f"<ChecksumAlgorithm>{text(alg)}</ChecksumAlgorithm>" for alg in obj.checksums)
        if obj.checksum_type:
            checksums += f"<ChecksumType>{text(obj.checksum_type)}</ChecksumType>"
    return (
        f"<Contents><Key>{key}</Key><LastModified>{iso8601(obj.updated)}</LastModified>"
        f'<ETag>"{text(obj.etag)}"</ETag><Size>{obj.size}</Size>{checksums}{owned}'
        f"<StorageClass>{text(storage_class(obj.headers))}</StorageClass></Contents>"
    )


def list_objects_v1(params: ListingParams, page: ObjectPage, *, marker: str, owner: str) -> bytes:
    encoding = _page_encoding(params, page, marker)
    out = [_HEAD]
    _element(out, "Name", params.bucket)
    _element(out, "Prefix", encode(params.prefix, encoding))
    _element(out, "Marker", encode(marker, encoding))
    _element(out, "MaxKeys", params.max_keys)
    _element(out, "Delimiter", encode(params.delimiter, encoding) if params.delimiter else None)
    _element(out, "IsTruncated", page.truncated)
    _element(out, "EncodingType", encoding)
    if page.truncated and params.delimiter:
        _element(out, "NextMarker", encode(page.next_marker, encoding))
    _entries(out, page, encoding, owner)
    out.append(_TAIL)
    return "".join(out).encode()


def list_objects_v2(
    params: ListingParams,
    page: ObjectPage,
    *,
    token: str | None,
    next_token: str | None,
    start_after: str,
    owner: str | None,
) -> bytes:
    encoding = _page_encoding(params, page, start_after)
    out = [_HEAD]
    _element(out, "Name", params.bucket)
    _element(out, "Prefix", encode(params.prefix, encoding))
    _element(out, "MaxKeys", params.max_keys)
    _element(out, "Delimiter", encode(params.delimiter, encoding) if params.delimiter else None)
    _element(out, "IsTruncated", page.truncated)
    _element(out, "EncodingType", encoding)
    _element(out, "KeyCount", len(page.objects) + len(page.prefixes))
    _element(out, "ContinuationToken", token)
    _element(out, "NextContinuationToken", next_token)
    _element(out, "StartAfter", encode(start_after, encoding) if start_after else None)
    _entries(out, page, encoding, owner)
    out.append(_TAIL)
    return "".join(out).encode()
