# syntax=docker/dockerfile:1
# The gateway's container image: built from this workspace, run as non-root
# from a distroless base (no shell, no package manager).
#
#   docker build -t ghcr.io/kargo-webhook-gateway/kargo-webhook-gateway:0.1.0 .

# Bookworm, like the runtime image below: the binary links against glibc and
# must not need a newer one than Debian 12 ships.
FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
# The caches keep downloaded crates and compiled dependencies between builds
# (BuildKit); the binary is copied out of the cached target directory.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p kargo-webhook-gateway \
    && install -D -m 0755 target/release/kargo-webhook-gateway /out/kargo-webhook-gateway

FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="kargo-webhook-gateway" \
      org.opencontainers.image.description="Receives registry and Git webhooks and refreshes the Kargo Warehouses that subscribe to what changed" \
      org.opencontainers.image.source="https://github.com/kargo-webhook-gateway/kargo-webhook-gateway" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder /out/kargo-webhook-gateway /usr/local/bin/kargo-webhook-gateway
# uid/gid 65532, which the Helm chart's securityContext also names.
USER nonroot
# 8080: webhooks; 8081: admin (/healthz, /readyz, /metrics).
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/kargo-webhook-gateway"]
