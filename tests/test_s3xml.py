"""S3 XML documents: safe parsing and the shapes clients parse."""

import pytest
from lxml import etree

from gateway.domain.errors import MESSAGES, ErrorCode
from s3xml import documents, listing
from s3xml.errors import status_of
from s3xml.xml import MalformedXML, parse


def test_parser_refuses_entities_and_dtds():
    for body in (
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Delete>&e;</Delete>',
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><Delete/>',
    ):
        with pytest.raises(MalformedXML):
            parse(body)


def test_parser_refuses_garbage():
    with pytest.raises(MalformedXML):
        parse(b"<Delete><Object>")


def test_parse_delete_with_and_without_namespace():
    ns = (
        b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a</Key></Object>'
        b"<Object><Key>b &amp; c</Key><VersionId>v1</VersionId></Object></Delete>"
    )
    assert documents.parse_delete(ns) == ([("a", None), ("b & c", "v1")], True)
    assert documents.parse_delete(b"<Delete><Object><Key>x</Key></Object></Delete>") == ([("x", None)], False)
    with pytest.raises(MalformedXML):
        documents.parse_delete(b"<Delete></Delete>")
    with pytest.raises(MalformedXML):
        documents.parse_delete(b"<Other/>")


def test_parse_complete():
    body = (
        b'<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"abc"</ETag>'
        b"<ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>"
    )
    assert documents.parse_complete(body) == [(1, '"abc"', {"CRC32": "AAAAAA=="})]
    with pytest.raises(MalformedXML):
        documents.parse_complete(
            b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>"
        )


def test_error_document_shape():
    body = documents.error_document(ErrorCode.NoSuchKey, "", resource="/b/k", request_id="RID", extra={"Key": "k"})
    root = etree.fromstring(body)
    assert root.tag == "Error"
    assert [c.tag for c in root] == ["Code", "Message", "Key", "Resource", "RequestId"]
    assert root.findtext("Code") == "NoSuchKey"
    assert root.findtext("Message") == MESSAGES[ErrorCode.NoSuchKey]


def test_response_documents_are_namespaced():
    root = etree.fromstring(documents.initiate_multipart("b", "k & <x>", "u"))
    assert root.tag == "{http://s3.amazonaws.com/doc/2006-03-01/}InitiateMultipartUploadResult"
    assert root.findtext("{http://s3.amazonaws.com/doc/2006-03-01/}Key") == "k & <x>"


def test_error_table_statuses():
    assert status_of(ErrorCode.NoSuchBucket) == 404
    assert status_of(ErrorCode.SignatureDoesNotMatch) == 403
    assert status_of(ErrorCode.InvalidRange) == 416
    assert status_of(ErrorCode.NotImplemented) == 501


# ------------------------------------------------------------------ characters XML 1.0 cannot carry


class _Obj:
    def __init__(self, key: str) -> None:
        self.key, self.updated, self.etag, self.size = key, 0.0, "e", 1
        self.checksums: dict[str, str] = {}
        self.checksum_type = ""
        self.headers: dict[str, str] = {}


class _Page:
    def __init__(self, keys: list[str]) -> None:
        self.objects = [_Obj(k) for k in keys]
        self.prefixes: list[str] = []
        self.truncated = False
        self.next_marker = ""


def _params(encoding: str | None = None) -> listing.ListingParams:
    return listing.ListingParams(bucket="b", prefix="", delimiter="", max_keys=1000, encoding=encoding)


def test_a_stored_key_xml_cannot_carry_turns_the_page_url_encoded():
    """A key stored before such keys were refused (or by another writer) must not break the
    listing: the page is url-encoded and says so, and Python's expat (botocore) parses it."""
    import xml.etree.ElementTree as ElementTree

    body = listing.list_objects_v1(_params(), _Page(["ok", "c\x01d", "cr\rlf"]), marker="", owner="o")
    root = ElementTree.fromstring(body)
    ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
    assert root.findtext(f"{ns}EncodingType") == "url"
    assert [k.text for k in root.iter(f"{ns}Key")] == ["ok", "c%01d", "cr%0Dlf"]


def test_a_plain_page_is_left_as_asked():
    body = listing.list_objects_v1(_params(), _Page(["ok", "cr\rlf"]), marker="", owner="o")
    assert b"<EncodingType>" not in body and b"cr&#13;lf" in body  # CR survives XML parsing as &#13;


def test_error_document_never_fails_on_the_resource():
    body = documents.error_document(
        ErrorCode.NoSuchKey, "", resource="/b/a\x00b\ufffe\udcff", request_id="r", extra={"Key": "\x1b"}
    )
    root = etree.fromstring(body)
    assert root.findtext("Resource") == "/b/a%00b%EF%BF%BE%FF" and root.findtext("Key") == "%1B"
