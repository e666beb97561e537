"""The HTTP machinery shared by every S3-style object-store adapter (S3, OBS, ...)."""

from .multipart import HttpObjectStore, HttpRequest, StoreOptions, access_key_pair, location_fields

__all__ = ["HttpObjectStore", "HttpRequest", "StoreOptions", "access_key_pair", "location_fields"]
