# syntax=docker/dockerfile:1
# One-shot schema migration (CCS_DATABASE_URL), run before the services start. Build from the repository root:
#   docker build -f docker/db-migrate.Dockerfile -t ccs-db-migrate .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nx.json tsconfig.base.json .swcrc jest.preset.js eslint.config.mjs ./
COPY apps ./apps
COPY libs ./libs
COPY tools ./tools
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true
RUN npx nx run db-migrate:build

FROM ${NODE_IMAGE} AS dependencies
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/dist/tools/db-migrate/package.json /src/dist/tools/db-migrate/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg \
    && mkdir /data && chown node:node /data
ENV NODE_ENV=production \
    CCS_DATABASE_URL=sqlite:/data/ccs.sqlite
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /src/dist/tools/db-migrate/main.js /src/dist/tools/db-migrate/main.js.map /src/dist/tools/db-migrate/package.json ./
USER node
VOLUME /data
CMD ["node", "--enable-source-maps", "main.js"]
