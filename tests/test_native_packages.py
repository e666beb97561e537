"""/v1/package/*: packages are S3 folders `P/`; the root package "" holds keys without '/'."""

from native_helpers import expect_error, native, nbucket, npackage  # noqa: F401  (fixtures)

BOTH_ENGINES = True  # the gateway fixture runs on SQLite and on PostgreSQL (conftest.ENGINES)


def keys(s3, bucket, **kwargs):
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, **kwargs).get("Contents", [])]


def test_create_makes_the_s3_folder(native, s3, nbucket):
    package = native.create_package(nbucket["bucketID"], "docs")
    assert package["name"] == "docs" and package["bucketID"] == nbucket["bucketID"]
    assert "+" in package["createTime"] or package["createTime"][-6] in "+-"
    assert keys(s3, nbucket["name"]) == ["docs/"]
    listed = s3.list_objects_v2(Bucket=nbucket["name"], Delimiter="/")
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["docs/"]
    assert native.get_package(nbucket["name"], "docs") == package
    assert package in native.list_packages(nbucket["bucketID"])
    # the marker row is not an object for native clients
    assert native.package_objects(package["packageID"]) == []


def test_root_package_is_listed_and_found(native, nbucket):
    root = native.get_package(nbucket["name"], "")
    assert root["name"] == "" and root in native.list_packages(nbucket["bucketID"])


def test_duplicates(native, s3, nbucket, npackage):
    expect_error("DataExists", 409, native.create_package, nbucket["bucketID"], "pkg")
    expect_error("DataExists", 409, native.create_package, nbucket["bucketID"], "")
    s3.put_object(Bucket=nbucket["name"], Key="implied/file.txt", Body=b"1")
    implied = native.get_package(nbucket["name"], "implied")
    assert implied in native.list_packages(nbucket["bucketID"])
    expect_error("DataExists", 409, native.create_package, nbucket["bucketID"], "implied")


def test_s3_folder_marker_is_a_package(native, s3, nbucket):
    s3.put_object(Bucket=nbucket["name"], Key="folder/", Body=b"")
    package = native.get_package(nbucket["name"], "folder")
    assert native.package_objects(package["packageID"]) == []


def test_bad_names_and_ids(native, nbucket):
    for name in ("a/b", "..", ".", "nul\x00"):
        expect_error("BadArgument", 400, native.create_package, nbucket["bucketID"], name)
    expect_error("BadArgument", 400, native.create_package, nbucket["bucketID"], "x" * 1100)
    expect_error("DataNotFound", 404, native.create_package, 987654321, "p")
    expect_error("BadArgument", 400, native.call, "POST", "/v1/package/create", json_body={"bucketID": 1})
    expect_error("DataNotFound", 404, native.get_package, nbucket["name"], "absent")
    expect_error("DataNotFound", 404, native.get_package, "no-such-bucket-here", "p")
    expect_error("DataNotFound", 404, native.list_packages, 987654321)
    expect_error("BadArgument", 400, native.call, "GET", "/v1/package/listBucketPackages", query={"bucketID": "x"})
    expect_error("DataNotFound", 404, native.delete_package, 987654321)


def test_delete_removes_every_object(native, s3, nbucket, npackage):
    native.upload(npackage["packageID"], [("a.txt", b"a"), ("d/b.txt", b"b")])
    s3.put_object(Bucket=nbucket["name"], Key="pkg/s3.txt", Body=b"c")
    s3.put_object(Bucket=nbucket["name"], Key="pkgx/other.txt", Body=b"keep")
    s3.put_object(Bucket=nbucket["name"], Key="root.txt", Body=b"keep")
    native.delete_package(npackage["packageID"])
    assert keys(s3, nbucket["name"]) == ["pkgx/other.txt", "root.txt"]
    expect_error("DataNotFound", 404, native.get_package, nbucket["name"], "pkg")
    expect_error("DataNotFound", 404, native.package_objects, npackage["packageID"])
    # the name can be used again
    again = native.create_package(nbucket["bucketID"], "pkg")
    assert again["packageID"] != npackage["packageID"]


def test_delete_big_package_in_batches(native, s3, nbucket, npackage):
    files = [(f"f{i:04d}", b"x") for i in range(620)]
    native.upload(npackage["packageID"], files)
    native.delete_package(npackage["packageID"])
    assert keys(s3, nbucket["name"]) == []


def test_root_package_cannot_be_deleted(native, nbucket):
    root = native.get_package(nbucket["name"], "")
    expect_error("BadArgument", 400, native.delete_package, root["packageID"])
