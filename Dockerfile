# imspec as a container image: the CLI (load shards, merge, serve, run) on Node 20.
#
#   docker build -t imspec:0.1.0 .
#   docker run --rm imspec:0.1.0 load --help
#
# Used by the Kubernetes manifests of `imspec load --emit k8s` (docs/load.md, "Running on
# Kubernetes"). better-sqlite3 compiles from source, so the build stage has a C++ toolchain.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /imspec
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY bin bin
COPY src src
COPY scripts scripts
COPY schemas schemas
COPY suites suites
COPY profiles profiles
COPY dashboards dashboards
COPY docs docs
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /imspec
COPY --from=build /imspec /imspec
# One shard holds up to 16,000 connections per worker process: raise the pod's nofile limit to
# match (the container runtime's default is often 1,048,576; some clusters set 1,024).
USER node
ENTRYPOINT ["node", "/imspec/bin/imspec.js"]
CMD ["--help"]
