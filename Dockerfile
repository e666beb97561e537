# Junction gateway image: slim Python, non-root user, data on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY backends ./backends
COPY s3xml ./s3xml
RUN pip install . && useradd --system --uid 10001 --home /data junction \
    && mkdir -p /data && chown junction /data && chmod 700 /data

USER junction
VOLUME ["/data"]
EXPOSE 9000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9000/health', timeout=2).status == 200 else 1)"
ENTRYPOINT ["junction", "serve", "--host", "0.0.0.0", "--port", "9000", "--data-dir", "/data"]
