"""Storage failures the front ends answer themselves (503), named here so that front ends
depend on the core alone and never on the storage adapters."""

from __future__ import annotations

from backends.base import BackendUnavailable

__all__ = ["BackendUnavailable"]
