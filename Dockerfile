# One image for every Bridge Sync service; docker-compose.yml picks the service with SERVICE.
# Node 26 is the current LTS line. The services run as the image's unprivileged `node` user:
# nothing they do needs root, and a compromised process should not own the container.
FROM node:26-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:26-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# Owned by root and read-only to the service: it can read its code, not change it.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
ARG SERVICE=api
ENV SERVICE=${SERVICE}
USER node
CMD ["sh", "-c", "exec node dist/apps/${SERVICE}/main.js"]
