# The ledger service. `docker compose up` builds it; see docker-compose.yml.

# Dependencies in their own stage: better-sqlite3 compiles from source when no prebuilt
# binary fits, and the toolchain for that stays out of the final image.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# npm ci runs the `prepare` script, which builds the offline verifier (dist/verify.js) and the
# console (console/dist/, from the app's own OpenAPI document, so it needs the sources).
COPY tsconfig.json tsconfig.verify.json ./
COPY src ./src
COPY projections ./projections
COPY console ./console
# All dependencies: `npm start` runs the TypeScript sources through tsx, a devDependency.
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY projections ./projections
COPY --from=deps /app/console/dist ./console/dist
# The default store is sqlite:./data/ledger.sqlite, i.e. /app/data; LEDGER_STORE can point
# elsewhere (esdb://... in docker-compose.yml).
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["npm", "start"]
