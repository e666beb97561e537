"""aiohttp-level helpers the front ends share (core never imports this package)."""
