"""The file-server front end (seed 004): files and folders over HTTP at /api/finder,
/api/new_file, ... on Junction's own namespace, `/<bucket>/<package>/<path>`."""
