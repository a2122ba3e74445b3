# syncd: one long-running container. The build needs no network: it installs wheels from
# the build context only, made on the host by `make wheelhouse` (part of `make image`):
#   build/wheelhouse/  every dependency pinned in requirements.lock (hashes checked)
#   build/dist/        syncd's own wheel
# BASE_IMAGE is any image with python3 (3.11, with the venv module) and useradd: the public
# python:3.11-slim by default, or one made from Debian's packages (deploy/base-image.sh):
#   make image BASE_IMAGE=syncd-base:bookworm
# No "# syntax=" line on purpose: BuildKit would fetch that frontend from a registry.
ARG BASE_IMAGE=python:3.11-slim

# The builder makes the virtual environment; the final stage copies only that, so neither
# the wheels nor pip's work files become a layer of the image.
FROM ${BASE_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1
RUN python3 -m venv /opt/syncd
COPY requirements.lock /tmp/requirements.lock
COPY build/wheelhouse /wheels
RUN /opt/syncd/bin/pip install --no-cache-dir --no-index --find-links /wheels \
      --require-hashes -r /tmp/requirements.lock
# Babel ships the data of ~1100 locales (35 MB); syncd writes in the languages its policy
# allows (config/policy.py: "ru", "en"), and Babel reads them on top of "root".
# A new language goes in this list too (make image-test renders each one in the image).
ARG BABEL_LOCALES="root en ru"
RUN /opt/syncd/bin/python -c "import os, pathlib, babel; \
keep = os.environ['BABEL_LOCALES'].split(); \
data = pathlib.Path(babel.__file__).parent / 'locale-data'; \
[f.unlink() for f in data.glob('*.dat') if f.stem not in keep]"
# Its own layer, after the dependencies: a code change rebuilds only this one. pip and
# setuptools only install; a running service needs neither.
COPY build/dist /dist
RUN /opt/syncd/bin/pip install --no-cache-dir --no-index --no-deps /dist/syncd-*.whl \
    && /opt/syncd/bin/pip uninstall --yes --quiet setuptools pip

FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="syncd" \
      org.opencontainers.image.description="Keeps agency tasks in Jira/GitLab in order; digests for account managers" \
      org.opencontainers.image.licenses="Apache-2.0"
# State lives only under the /data volume and temporary files in /tmp, so the container
# runs with a read-only root: docker run --read-only --tmpfs /tmp -v syncd-data:/data ...
ENV PATH=/opt/syncd/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/data \
    SYNCD_DATA_DIR=/data \
    SYNCD_CONFIG=/etc/syncd/policy.yaml \
    SYNCD_HTTP_HOST=0.0.0.0 \
    SYNCD_HTTP_PORT=8080 \
    SYNCD_LOG_FORMAT=json
# A fixed numeric uid/gid: volume ownership (chown 10001:10001) and Kubernetes'
# runAsNonRoot both need a number.
RUN groupadd --system --gid 10001 syncd \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
         --shell /usr/sbin/nologin syncd \
    && mkdir -p /data /etc/syncd \
    && chown 10001:10001 /data
COPY --from=builder /opt/syncd /opt/syncd
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# Python, not curl: the image has no curl. /healthz answers while the process serves.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('SYNCD_HTTP_PORT', '8080') + '/healthz', timeout=4)"]
ENTRYPOINT ["syncd"]
CMD ["run"]
