# syntax=docker/dockerfile:1
# gatewayd container image. Multi-stage: build with the dev toolchain, ship the compiled packages
# and production dependencies only, run as the unprivileged `node` user.
#
#   docker build -t gatewayd .
#   docker run --rm -p 8080:8080 -p 127.0.0.1:9090:9090 gatewayd
#   curl -s localhost:8080/v1/chat/completions -H 'content-type: application/json' \
#     -d '{"model":"demo","messages":[{"role":"user","content":"hi"}]}'
#
# The image starts on etc/gatewayd.yaml (mock provider, no keys); mount your own config at
# /etc/gatewayd/gatewayd.yaml and pass `start --config /etc/gatewayd/gatewayd.yaml`, or override
# keys with GATEWAYD__SECTION__KEY variables. docker-compose.yml and deploy/kubernetes use it.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build ------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
# The pnpm of package.json's packageManager field (etc/test/deploy checks they match).
ARG PNPM_VERSION=10.34.9
RUN npm install -g pnpm@${PNPM_VERSION}
WORKDIR /app
# Manifests first: the dependency layer is rebuilt only when they change.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/shared/package.json packages/shared/
COPY packages/worker/package.json packages/worker/
COPY packages/supervisor/package.json packages/supervisor/
COPY bench/package.json bench/
# Everything but the benchmarks (they pull in other gateways to compare against).
RUN pnpm install --frozen-lockfile --filter '!@gatewayd/bench'
COPY tsconfig.base.json tsconfig.json ./
COPY packages/shared packages/shared
COPY packages/worker packages/worker
COPY packages/supervisor packages/supervisor
RUN pnpm run build
# Production dependencies only (no TypeScript, tap or SDKs of the tests).
RUN rm -rf node_modules packages/*/node_modules \
 && pnpm install --frozen-lockfile --prod --ignore-scripts --filter './packages/**'

# ---- runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    # Containers are reached from outside their loopback: listen on every interface.
    GATEWAYD__SERVER__HOST=0.0.0.0 \
    GATEWAYD__ADMIN__HOST=0.0.0.0
WORKDIR /app
# Owned by root and read-only to `node`: the service cannot modify its own code.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/packages/shared/package.json packages/shared/
COPY --from=build /app/packages/shared/dist packages/shared/dist
COPY --from=build /app/packages/shared/node_modules packages/shared/node_modules
COPY --from=build /app/packages/worker/package.json packages/worker/
COPY --from=build /app/packages/worker/dist packages/worker/dist
COPY --from=build /app/packages/worker/node_modules packages/worker/node_modules
COPY --from=build /app/packages/supervisor/package.json packages/supervisor/
COPY --from=build /app/packages/supervisor/dist packages/supervisor/dist
COPY --from=build /app/packages/supervisor/node_modules packages/supervisor/node_modules
COPY etc/gatewayd.yaml etc/prices.yaml etc/
# The PID file and control socket go to /app/run (an emptyDir or tmpfs under a read-only root).
RUN mkdir -p /app/run && chown node:node /app/run
USER node
# 8080: data plane (server.port); 9090: admin plane (admin.port: /metrics, /admin/*).
EXPOSE 8080 9090
# SIGTERM drains: in-flight requests and streams finish (server.drain_timeout), then exit.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "require('node:http').get('http://127.0.0.1:8080/health/live', (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"]
# The foreground supervisor (logs to stdout); `docker run IMAGE status` etc. run other commands.
ENTRYPOINT ["node", "/app/packages/supervisor/dist/cli/main.js"]
CMD ["start", "--config", "/app/etc/gatewayd.yaml", "--pid-file", "/app/run/gatewayd.pid"]
