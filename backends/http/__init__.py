"""The HTTP machinery shared by every S3-style object-store adapter (S3, OBS, ...); see store.py."""

from .options import StoreOptions, access_key_pair, location_fields
from .store import HttpObjectStore
from .transport import HttpRequest, Signer

__all__ = ["HttpObjectStore", "HttpRequest", "Signer", "StoreOptions", "access_key_pair", "location_fields"]
