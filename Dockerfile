# Logdive: `logdive serve` in a slim, non-root image. Migrations are a separate step:
#   docker run --rm -e DATABASE_URL=... logdive db upgrade      (compose.yaml: the `migrate` service;
#   deploy/k8s: the migration Job), then start the replicas.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY workflows ./workflows
COPY config ./config
COPY templates ./templates
RUN python -m venv /opt/logdive && /opt/logdive/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/logdive/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    LOGDIVE_ARTEFACT_DIR=/var/lib/logdive/artefacts
RUN useradd --system --uid 10001 --home-dir /var/lib/logdive --create-home logdive
COPY --from=build /opt/logdive /opt/logdive
USER 10001:10001
WORKDIR /var/lib/logdive
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4)"]
ENTRYPOINT ["logdive"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
