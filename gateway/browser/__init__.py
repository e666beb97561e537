"""The browser front end: the web console's API under /api (JWT sign-in,
buckets, objects, SSE progress) and its single-page app under /console."""
