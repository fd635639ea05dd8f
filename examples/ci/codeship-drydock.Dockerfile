# The drydock service of codeship-services.yml: drydock built from its source at DRYDOCK_REF,
# and the vulnerability database exported as an offline bundle. Codeship caches this image, so
# the bundle lasts between builds; a new DRYDOCK_DB_EPOCH refreshes it.
FROM node:20-bookworm

ARG DRYDOCK_GIT_URL
ARG DRYDOCK_REF=main
RUN git clone --quiet --depth 1 --branch "$DRYDOCK_REF" "$DRYDOCK_GIT_URL" /opt/drydock \
 && cd /opt/drydock \
 && npm ci --no-audit --no-fund \
 && npm run build \
 && ln -s /opt/drydock/bin/drydock.js /usr/local/bin/drydock

ARG DRYDOCK_DB_EPOCH
RUN mkdir -p /opt/drydock-db \
 && drydock db update -q \
 && drydock db export /opt/drydock-db/vulndb.bundle -q

# codeship-services.yml mounts the repository here.
WORKDIR /code
