# The ledger service. `docker compose up` builds it; see docker-compose.yml.

# Build stage: every dependency (better-sqlite3 may compile from source, hence the toolchain),
# then `npm ci` runs `prepare`, which compiles the TypeScript to dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json tsconfig.verify.json ./
COPY scripts ./scripts
# The Node 20 SQLite driver's wrapper: npm reads it, and on Node 24 installs nothing from it.
COPY drivers ./drivers
COPY src ./src
COPY projections ./projections
# The build makes the console too (dist/console/, from the app's own OpenAPI document).
COPY console ./console
RUN npm ci --no-audit --no-fund
# Production dependencies only, for the final image (prepare finds no compiler and skips).
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# The default store is sqlite:./data/ledger.sqlite, i.e. /app/data; LEDGER_STORE can point
# elsewhere (esdb://... in docker-compose.yml).
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1's child-free process: SIGTERM from `docker stop` reaches the server.
CMD ["node", "dist/src/main.js"]
