"""The browser front end: the web console's API under /api (seed 003's shapes: JWT sign-in,
buckets, objects, SSE progress) and its single-page app under /console."""
