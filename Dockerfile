# The processing service: `rcoi serve` (API + inbox) by default, `rcoi worker` for the stage workers.
# Multi-stage: production dependencies, then the build (plain JavaScript in dist/, with the data it reads);
# the runtime has those two and runs as the unprivileged `node` user. scripts/image-check.sh assembles the
# runtime's files from the COPY lines below and starts the service from them (run by `npm test`).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM deps AS build
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
# DejaVu Sans: the PDFs embed it and the printed protocols are drawn with it (Cyrillic).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    RCOI_DATA_DIR=/data \
    PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli/rcoi.js"]
CMD ["serve"]
