# The one image for every role: `oms start --roles …` (or OMS_ROLES) picks what a container runs.
# Sources run through tsx, as in development: no build step, nothing to fall out of date.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY tsconfig.json ./
# The command line's client bundle (npm ci skipped `prepare`): `oms import|orders|inventory` start fast.
RUN node bin/client-bundle.mjs
# Listen on every interface inside the container; the compose file decides what is published.
ENV HOST=0.0.0.0 PORT=8080 DATA_DIR=/app/data
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=6 CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--max-old-space-size=256", "bin/oms.mjs", "start"]
