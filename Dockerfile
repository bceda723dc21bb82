# The processing service: `rcoi serve` (API + inbox) by default, `rcoi worker` for the stage workers.
# Multi-stage: dependencies are installed in a build stage; the runtime runs as the unprivileged `node` user.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# tsx runs the TypeScript sources at run time, so production dependencies are all the image needs.
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    RCOI_DATA_DIR=/data \
    PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY cli ./cli
COPY calibration ./calibration
COPY domain ./domain
COPY pipeline ./pipeline
COPY samples ./samples
COPY service ./service
COPY storage ./storage
COPY workers ./workers
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/rcoi.js"]
CMD ["serve"]
