# One image for both production processes; compose picks the command:
#   API:    node dist/api/main.js      (the default)
#   worker: node dist/workers/main.js
# Both apply the committed migrations on start (serialised by an advisory lock).

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# tsc, then the SQL migrations copied next to the compiled db/migrate.js
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
