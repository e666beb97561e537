"""Request signing, shared by every front end that speaks AWS signatures.

`sigv4` verifies Signature Version 4 (Authorization header and presigned URLs, any service:
S3 uses `s3`, the native API `jcs`), `sigv2` the legacy HMAC-SHA1 scheme, `chunk_signing`
the signature chain of aws-chunked bodies. `types` holds what a verified request carries
(`AuthContext`) and the one error type (`AuthError`); front ends render it in their format.
Framework-neutral: nothing here imports aiohttp.
"""
