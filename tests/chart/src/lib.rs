//! Tests of the gateway's Helm chart (`charts/kargo-webhook-gateway/`); the
//! tests live in `tests/`. Helm is built from the release pinned in
//! `tests/helm/go.mod` on first use (see `kargo_webhook_testenv::helm`).
