# One image for both production processes; compose picks the command:
#   API:    node dist/api/main.js      (the default)
#   worker: node dist/workers/main.js
# Both apply the committed migrations on start (serialised by an advisory lock). Node 24 is the
# active LTS; package.json keeps engines >=20 for development machines, and .ci/run runs the unit,
# workflow and replay tests on Node 24 too.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# tsc, then the SQL migrations copied next to the compiled db/migrate.js
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
# 3000: the API (and its /metrics); the worker serves /metrics on 9464 and the Temporal SDK's own on 9465.
EXPOSE 3000 9464 9465
CMD ["node", "dist/api/main.js"]
