//! The Artifactory provider stays free of Kubernetes and HTTP-server crates: it
//! turns bytes into a verdict and nothing more.

#[test]
fn the_provider_depends_on_neither_kube_nor_actix() {
    kargo_webhook_provider_testkit::dependencies::assert_depends_on_neither_kube_nor_actix(
        "kargo-webhook-artifactory",
    );
}
