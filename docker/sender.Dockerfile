# syntax=docker/dockerfile:1
# Sender service (POST /key-capsules, TLS 1.3 on 8443). Build from the repository root:
#   docker build -f docker/sender.Dockerfile -t ccs-sender .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# Compilers serve native modules that have no prebuilt binary (better-sqlite3); this stage is discarded.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nx.json tsconfig.base.json .swcrc jest.preset.js eslint.config.mjs ./
COPY apps ./apps
COPY libs ./libs
COPY tools ./tools
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true
RUN npx nx run sender:build

# Production dependencies from the lockfile the build generated, built on the runtime's libc.
FROM ${NODE_IMAGE} AS dependencies
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/dist/apps/sender/package.json /src/dist/apps/sender/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
# No package managers at run time; /data is the only place the service may write (SQLite).
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg \
    && mkdir /data && chown node:node /data
# Node options of every service launcher (libs/platform/src/lib/node-options.ts); NODE_OPTIONS can be overridden.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=4 --max-old-space-size=1024 --openssl-config=/app/openssl.cnf" \
    CCS_SENDER_PORT=8443 \
    CCS_DATABASE_URL=sqlite:/data/ccs.sqlite
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /src/dist/apps/sender/main.js /src/dist/apps/sender/main.js.map /src/dist/apps/sender/package.json /src/dist/apps/sender/openssl.cnf ./
USER node
VOLUME /data
EXPOSE 8443
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const t=process.env.CCS_MANAGEMENT_TOKEN;require('http').get({host:'127.0.0.1',port:process.env.CCS_SENDER_MANAGEMENT_PORT||18443,path:'/health/ready',timeout:4000,headers:t?{authorization:'Bearer '+t}:{}},r=>process.exit(r.statusCode===200?0:1)).on('timeout',function(){this.destroy()}).on('error',()=>process.exit(1))"]
CMD ["node", "--enable-source-maps", "main.js"]
