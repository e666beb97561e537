"""File-API paths onto Junction's namespace: `/<bucket>/<package>/<path>`.

`/` is the list of buckets, `/<bucket>` a bucket's root, and below that a path is an S3 key
(its first segment the package, gateway/domain/mapping.py). A folder is a package or a key
prefix: the keys under `<key>/`. Paths are normalised like a file system's (empty segments
dropped) and `.`/`..` segments are refused, so no path climbs out of where it names."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.domain.errors import ErrorCode, JunctionError


@dataclass(frozen=True, slots=True)
class FilePath:
    bucket: str  # "" for the root (the list of buckets)
    key: str  # "" for a bucket's root; never ends in "/"

    @property
    def prefix(self) -> str:
        """The keys of this path seen as a folder start with this."""
        return f"{self.key}/" if self.key else ""

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1] if self.key else self.bucket

    def child(self, name: str) -> FilePath:
        check_name(name)
        if not self.bucket:
            raise JunctionError(ErrorCode.InvalidArgument, "files and folders live in a bucket: the path names none")
        return FilePath(self.bucket, self.prefix + name)

    def __str__(self) -> str:
        return "/" + "/".join(p for p in (self.bucket, self.key) if p)


def parse(text: str | None) -> FilePath:
    segments = [s for s in (text or "").replace("\\", "/").split("/") if s]
    if any(s in (".", "..") for s in segments):
        raise JunctionError(ErrorCode.InvalidArgument, "a path must not contain '.' or '..' segments")
    if any("\x00" in s for s in segments):
        raise JunctionError(ErrorCode.InvalidArgument, "a path must not contain NUL")
    if not segments:
        return FilePath("", "")
    return FilePath(segments[0], "/".join(segments[1:]))


def check_name(name: str) -> None:
    """A file or folder name: one segment."""
    if not name or "/" in name or "\\" in name or name in (".", "..") or "\x00" in name:
        raise JunctionError(ErrorCode.InvalidArgument, f"{name!r} is not a file or folder name (one path segment)")


def file_path(text: str | None) -> FilePath:
    """A path that must name a file (a key in a bucket)."""
    path = parse(text)
    if not path.bucket or not path.key:
        raise JunctionError(ErrorCode.InvalidArgument, "the path must name a file inside a bucket: /<bucket>/<key>")
    return path
