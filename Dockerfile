# syntax=docker/dockerfile:1
# One image for every Wharf service. The container's arguments pick the service:
#   docker run IMAGE apps/sync/dist/main.js      (Kubernetes: `args: [apps/sync/dist/main.js]`)
# Without arguments it runs the all-in-one process (apps/wharf). See docs/operations.md.

ARG NODE_VERSION=20.19

# Build: the full Node image has the compilers better-sqlite3 needs when no prebuilt binary fits.
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /src
ENV NX_DAEMON=false NX_NO_CLOUD=true
COPY . .
RUN npm ci --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && node tools/docker/runtime-tree.mjs /runtime

# Runtime: production dependencies and each workspace's package.json and dist, nothing else.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    WHARF_DATA_DIR=/var/lib/wharf \
    TMPDIR=/tmp
WORKDIR /app
# Files stay owned by root and read-only to the service user; the only writable paths are the data
# directory and /tmp, which Kubernetes mounts as emptyDir volumes under a read-only root filesystem.
COPY --from=build /runtime/ /app/
RUN mkdir -p /var/lib/wharf && chown 1000:1000 /var/lib/wharf
# The base image's `node` user, by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 24816 24817 24820 24821 24822 24823 24824 24825
ENTRYPOINT ["node", "--enable-source-maps"]
CMD ["apps/wharf/dist/main.js"]
