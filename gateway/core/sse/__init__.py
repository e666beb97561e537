"""Encryption at rest (SSE-C, SSE-S3): a streaming authenticated format and its keys.

Bytes are encrypted in the gateway, so user spaces (another cloud's bucket, a shared disk)
only ever hold ciphertext; keys never leave the gateway.
"""
