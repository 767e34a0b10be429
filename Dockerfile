# medchat: the H5 app and the IM server in one image. Every step is a script of this repo that runs
# outside containers too; this file only orders them. Not built here (no registry is reachable from
# the development machines): README ("Running it in a hospital") says what was checked instead.

# --- build: dependencies and the H5 app
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc* ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN bash scripts/build.sh h5
# The server runs from TypeScript through tsx; keep production dependencies plus tsx only.
RUN npm prune --omit=dev --no-audit --no-fund && npm install --no-save --no-audit --no-fund tsx

# --- run: slim Node, non-root, data under one volume
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8787 DB_PATH=/data/medchat.sqlite FILES_DIR=/data/files STATIC_DIR=/app/dist/h5
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/h5 ./dist/h5
COPY --from=build /app/package.json ./
COPY --from=build /app/server ./server
COPY --from=build /app/types ./types
COPY --from=build /app/scripts ./scripts
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8787
# Fails the container's health check when the process is not answering (readiness is /readyz).
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM drains (SHUTDOWN_GRACE_SEC, default 10): keep compose's stop_grace_period above it.
CMD ["node", "--import", "tsx", "server/main.ts"]
