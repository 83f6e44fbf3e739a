# passkey-gateway: multi-stage image. Not built on the project's own machines (they run no container
# engine); test/deploy/container-files.test.ts checks what can be checked without one.

# Build: every dependency (better-sqlite3 compiles its addon here), the TypeScript and the browser
# bundles, then the development dependencies dropped.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build
RUN npm prune --omit=dev

# Run: production dependencies and the build only, as the unprivileged `node` user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=9545 \
    METRICS_HOST=0.0.0.0 \
    METRICS_PORT=9546 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Keys, secrets and the embedded database live in DATA_DIR: a volume, owned by the runtime user.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 9545 9546
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 9545) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# What `npm start` runs, without its build step (prestart): the image holds the build and no sources.
# Run by node itself as PID 1, so SIGTERM reaches the gateway's graceful shutdown.
CMD ["node", "dist/src/main.js"]
