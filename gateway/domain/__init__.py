"""The bottom layer: types every other layer may use (errors, models, the S3 key mapping).

It imports nothing from the rest of the gateway, so `meta`, `core`, `backends` and the front
ends can all depend on it without an import running back up the layers.
"""
