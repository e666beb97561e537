"""ListObjects pages written as text (s3xml/listing.py) are byte for byte what the lxml tree
renderer wrote before (kept here as the reference), for any keys, prefixes, markers and
tokens: markup characters, CR, characters XML 1.0 cannot carry (the page turns url-encoded),
lone surrogates, characters above U+FFFF, checksums, owners and encoding-type=url."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import quote, unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from s3xml import listing
from s3xml.records import ObjectPage, StoredObject, storage_class
from s3xml.xml import Field, document, iso8601, serialize, xml_carries

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


@dataclass
class Obj:
    key: str
    etag: str = "d41d8cd98f00b204e9800998ecf8427e"
    size: int = 0
    updated: float = 1_700_000_000.123
    checksums: dict[str, str] = field(default_factory=dict)
    checksum_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Page:
    objects: list[Obj]
    prefixes: list[str]
    truncated: bool
    next_marker: str


# ---------------------------------------------------------------- the lxml reference


def _ref_encode(value: str, encoding: str | None) -> str:
    return quote(value, safe="/") if encoding == "url" else value


def _ref_contents(obj: StoredObject, encoding: str | None, owner: str | None) -> Field:
    fields: list[Field] = [
        ("Key", _ref_encode(obj.key, encoding)),
        ("LastModified", iso8601(obj.updated)),
        ("ETag", f'"{obj.etag}"'),
        ("Size", obj.size),
    ]
    if obj.checksums:
        fields += [("ChecksumAlgorithm", alg) for alg in obj.checksums]
        if obj.checksum_type:
            fields.append(("ChecksumType", obj.checksum_type))
    if owner is not None:
        fields.append(("Owner", [("ID", owner), ("DisplayName", owner)]))
    fields.append(("StorageClass", storage_class(obj.headers)))
    return "Contents", fields


def _ref_encoding(requested: str | None, texts: list[str]) -> str | None:
    return requested if requested == "url" or all(xml_carries(t) for t in texts) else "url"


def _ref_texts(params: listing.ListingParams, page: ObjectPage, echoed: str) -> list[str]:
    return [params.prefix, params.delimiter, echoed, *(o.key for o in page.objects), *page.prefixes, page.next_marker]


def reference_v1(params: listing.ListingParams, page: ObjectPage, *, marker: str, owner: str) -> bytes:
    params = replace(params, encoding=_ref_encoding(params.encoding, _ref_texts(params, page, marker)))
    fields: list[Field] = [
        ("Name", params.bucket),
        ("Prefix", _ref_encode(params.prefix, params.encoding)),
        ("Marker", _ref_encode(marker, params.encoding)),
        ("MaxKeys", params.max_keys),
        ("Delimiter", _ref_encode(params.delimiter, params.encoding) if params.delimiter else None),
        ("IsTruncated", page.truncated),
        ("EncodingType", params.encoding),
    ]
    if page.truncated and params.delimiter:
        fields.append(("NextMarker", _ref_encode(page.next_marker, params.encoding)))
    fields += [_ref_contents(o, params.encoding, owner) for o in page.objects]
    fields += [("CommonPrefixes", [("Prefix", _ref_encode(p, params.encoding))]) for p in page.prefixes]
    return serialize(document("ListBucketResult", fields))


def reference_v2(
    params: listing.ListingParams,
    page: ObjectPage,
    *,
    token: str | None,
    next_token: str | None,
    start_after: str,
    owner: str | None,
) -> bytes:
    params = replace(params, encoding=_ref_encoding(params.encoding, _ref_texts(params, page, start_after)))
    fields: list[Field] = [
        ("Name", params.bucket),
        ("Prefix", _ref_encode(params.prefix, params.encoding)),
        ("MaxKeys", params.max_keys),
        ("Delimiter", _ref_encode(params.delimiter, params.encoding) if params.delimiter else None),
        ("IsTruncated", page.truncated),
        ("EncodingType", params.encoding),
        ("KeyCount", len(page.objects) + len(page.prefixes)),
        ("ContinuationToken", token),
        ("NextContinuationToken", next_token),
        ("StartAfter", _ref_encode(start_after, params.encoding) if start_after else None),
    ]
    fields += [_ref_contents(o, params.encoding, owner) for o in page.objects]
    fields += [("CommonPrefixes", [("Prefix", _ref_encode(p, params.encoding))]) for p in page.prefixes]
    return serialize(document("ListBucketResult", fields))


# ---------------------------------------------------------------- the comparison


def outcome(render: Callable[[], bytes]) -> tuple[str, object]:
    """The bytes, or the exception's type: a lone surrogate (a raw byte kept by surrogateescape)
    cannot be percent-encoded as UTF-8, and the text renderer must fail exactly where the tree
    renderer did, no more and no less."""
    try:
        return "bytes", render()
    except UnicodeEncodeError as exc:
        return "raised", type(exc)


# plain letters, markup, CR/LF/TAB, a control XML 1.0 cannot carry, U+FFFE, a lone surrogate,
# non-ASCII below and above U+FFFF, and what percent-encoding touches
CHARS = st.sampled_from(list("ab/&<>\"'\r\n\t %+?#") + ["\x01", "\x1f", "\ufffe", "\ud800", "é", "\u2028", "😀"])
TEXT = st.text(alphabet=CHARS, max_size=8)
CHECKSUMS = st.dictionaries(st.sampled_from(["CRC32", "CRC32C", "SHA256", "x<&"]), st.just("v"), max_size=2)
OBJECTS = st.builds(
    Obj,
    key=TEXT,
    etag=st.sampled_from(["d41d8cd98f00b204e9800998ecf8427e", "abc-2", "<&>"]),
    size=st.integers(0, 2**40),
    updated=st.floats(0, 4e9),
    checksums=CHECKSUMS,
    checksum_type=st.sampled_from(["", "FULL_OBJECT", "COMPOSITE"]),
    headers=st.sampled_from([{}, {"x-amz-storage-class": "GLACIER"}, {"x-amz-storage-class": "a&b"}]),
)
PAGES = st.builds(
    Page,
    objects=st.lists(OBJECTS, max_size=5),
    prefixes=st.lists(TEXT, max_size=4),
    truncated=st.booleans(),
    next_marker=TEXT,
)
PARAMS = st.builds(
    listing.ListingParams,
    bucket=st.sampled_from(["b", "my.bucket"]),
    prefix=TEXT,
    delimiter=st.sampled_from(["", "/", "&", "\r", "\x01"]),
    max_keys=st.integers(0, 1000),
    encoding=st.sampled_from([None, "url"]),
)


@settings(max_examples=300, deadline=None)
@given(params=PARAMS, page=PAGES, marker=TEXT, owner=TEXT)
def test_v1_pages_are_the_reference_bytes(params, page, marker, owner) -> None:
    assert outcome(lambda: listing.list_objects_v1(params, page, marker=marker, owner=owner)) == outcome(
        lambda: reference_v1(params, page, marker=marker, owner=owner)
    )


@settings(max_examples=300, deadline=None)
@given(
    params=PARAMS,
    page=PAGES,
    start_after=TEXT,
    token=st.none() | TEXT,
    next_token=st.none() | TEXT,
    owner=st.none() | TEXT,
)
def test_v2_pages_are_the_reference_bytes(params, page, start_after, token, next_token, owner) -> None:
    kwargs = {"token": token, "next_token": next_token, "start_after": start_after, "owner": owner}
    assert outcome(lambda: listing.list_objects_v2(params, page, **kwargs)) == outcome(
        lambda: reference_v2(params, page, **kwargs)
    )


def test_a_page_of_awkward_keys_parses_back_to_its_keys() -> None:
    """Not only the same bytes as before: Python's expat (botocore's parser) reads the keys back."""
    keys = ["a&b", "<x>", "cr\rlf", "tab\tnl\n", "é/😀", "q\"'"]
    page = Page([Obj(k, checksums={"CRC32": "v"}, checksum_type="FULL_OBJECT") for k in keys], ["p&/"], True, "p&/")
    params = listing.ListingParams(bucket="b", prefix="", delimiter="/", max_keys=7, encoding=None)
    root = ElementTree.fromstring(
        listing.list_objects_v2(params, page, token=None, next_token="t", start_after="", owner=None)
    )
    assert [k.text for k in root.iter(f"{NS}Key")] == keys
    assert [p.text for p in root.iter(f"{NS}Prefix")][1:] == ["p&/"]
    assert root.findtext(f"{NS}KeyCount") == "7" and root.findtext(f"{NS}IsTruncated") == "true"
    assert [c.text for c in root.iter(f"{NS}ChecksumAlgorithm")] == ["CRC32"] * len(keys)

    url = listing.list_objects_v2(
        replace(params, encoding="url"), page, token=None, next_token=None, start_after="", owner="o"
    )
    root = ElementTree.fromstring(url)
    assert root.findtext(f"{NS}EncodingType") == "url"
    assert [unquote(k.text or "") for k in root.iter(f"{NS}Key")] == keys
