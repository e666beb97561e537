"""Request signing, shared by every front end that speaks AWS signatures.

`sigv4` verifies Signature Version 4 (any service: S3 uses `s3`, the native API `jcs`) from
the Authorization header claim (`claims`) or a presigned query (`presign`); `sigv2` the
legacy HMAC-SHA1 scheme; `chunk_signing` the signature chain of aws-chunked bodies. `types`
holds what a verified request carries (`AuthContext`) and the one error type (`AuthError`),
which each front end renders in its own format; `wire` turns header text back into the bytes
that were signed. Framework-neutral: nothing here imports aiohttp.
"""
