# syntax=docker/dockerfile:1
# syncd: one long-running container. Build: docker build -t syncd .
# The builder stage turns the project and all its dependencies into wheels; the final
# stage installs those wheels only (no compiler, no source tree, no pip cache).

FROM python:3.11-slim AS builder
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY syncd ./syncd
COPY connectors ./connectors
COPY rules ./rules
COPY config ./config
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
LABEL org.opencontainers.image.title="syncd" \
      org.opencontainers.image.description="Keeps agency tasks in Jira/GitLab in order; digests for account managers" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SYNCD_DATA_DIR=/data \
    SYNCD_CONFIG=/etc/syncd/policy.yaml \
    SYNCD_HTTP_HOST=0.0.0.0 \
    SYNCD_HTTP_PORT=8080 \
    SYNCD_LOG_FORMAT=json
RUN groupadd --system --gid 10001 syncd \
    && useradd --system --uid 10001 --gid syncd --home-dir /data --shell /usr/sbin/nologin syncd \
    && mkdir -p /data /etc/syncd \
    && chown syncd:syncd /data
# The wheels are bind-mounted from the builder, so they never become a layer of this image.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links /wheels /wheels/syncd-*.whl
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('SYNCD_HTTP_PORT', '8080') + '/healthz', timeout=4)"]
ENTRYPOINT ["syncd"]
CMD ["run"]
