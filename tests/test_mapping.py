"""The S3 key <-> (package, path) bijection (docs/ARCHITECTURE.md), tested both ways."""

import pytest

from gateway.domain.errors import JunctionError
from gateway.domain.mapping import join_key, split_key, validate_key, validate_object_path

CASES = [
    ("photos/2024/a.jpg", ("photos", "2024/a.jpg")),
    ("photos/", ("photos", "")),
    ("readme.txt", ("", "readme.txt")),
    ("/abs/path", ("", "/abs/path")),
    ("a//b", ("a", "/b")),
    ("ünï/cödé 1+2%3#?", ("ünï", "cödé 1+2%3#?")),
]


@pytest.mark.parametrize("key,expected", CASES)
def test_split_and_join_are_inverse(key, expected):
    assert split_key(key) == expected
    assert join_key(*expected) == key


def test_root_package_path_with_inner_slash_is_refused():
    with pytest.raises(JunctionError) as err:
        validate_object_path("", "a/b")
    assert err.value.code == "InvalidArgument"


def test_package_name_with_slash_is_refused():
    with pytest.raises(JunctionError):
        validate_object_path("a/b", "c")


@pytest.mark.parametrize(
    "key,code", [("", "InvalidArgument"), ("x" * 1025, "KeyTooLongError"), ("a\x00b", "InvalidArgument")]
)
def test_invalid_keys(key, code):
    with pytest.raises(JunctionError) as err:
        validate_key(key)
    assert err.value.code == code


def test_key_length_counts_utf8_bytes():
    validate_key("é" * 512)  # 1024 bytes
    with pytest.raises(JunctionError):
        validate_key("é" * 513)
