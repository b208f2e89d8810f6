//! A real API server accepts every object the chart renders, field by field
//! (server-side apply, dry run, strict field validation): a misspelt or
//! misplaced field fails here rather than at a user's `helm install`.

mod common;

use common::{ALL_FEATURES, OWN_ACCOUNT, RELEASE};
use kargo_webhook_testenv::{ControlPlane, render_chart};
use kube::api::{Api, DynamicObject, Patch, PatchParams, ValidationDirective};
use kube::core::GroupVersionKind;
use kube::discovery::Scope;

#[tokio::test]
async fn the_api_server_accepts_every_rendered_object() {
    let control_plane = ControlPlane::shared();
    let namespace = control_plane.fresh_namespace("chart-dry-run").await;
    let client = control_plane.admin_client();
    let params = PatchParams {
        dry_run: true,
        field_validation: Some(ValidationDirective::Strict),
        ..PatchParams::apply("kargo-webhook-chart-tests").force()
    };
    // Own account with Secret access in the release namespace (it exists).
    let listed = format!("{{{namespace}}}");
    let own_account_listed = [
        OWN_ACCOUNT,
        (
            "externalWebhooksServer.secretAccess.namespaces",
            listed.as_str(),
        ),
        (
            "externalWebhooksServer.clusterSecretsNamespace",
            namespace.as_str(),
        ),
    ];
    for set in [&[][..], ALL_FEATURES, &own_account_listed[..]] {
        let manifests = render_chart(RELEASE, &namespace, set).unwrap_or_else(|e| panic!("{e}"));
        let mut checked = 0;
        for manifest in manifests {
            let object: DynamicObject =
                serde_json::from_value(manifest.object.clone()).expect("a Kubernetes object");
            let types = object.types.clone().expect("apiVersion and kind");
            // The Prometheus Operator's and cert-manager's CRDs are not
            // installed here.
            if ["ServiceMonitor", "PrometheusRule", "Certificate", "Issuer"]
                .contains(&types.kind.as_str())
            {
                continue;
            }
            let gvk = GroupVersionKind::try_from(&types).expect("a group/version/kind");
            let (resource, capabilities) = kube::discovery::pinned_kind(&client, &gvk)
                .await
                .unwrap_or_else(|e| panic!("the API server does not serve {types:?}: {e}"));
            let api: Api<DynamicObject> = match capabilities.scope {
                Scope::Cluster => Api::all_with(client.clone(), &resource),
                Scope::Namespaced => Api::namespaced_with(client.clone(), &namespace, &resource),
            };
            let name = object.metadata.name.clone().expect("a name");
            api.patch(&name, &params, &Patch::Apply(&manifest.object))
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "the API server refuses {} {name} of {} (with {set:?}): {e}",
                        types.kind,
                        manifest.path.display()
                    )
                });
            checked += 1;
        }
        assert!(checked >= 9, "only {checked} objects were checked");
    }
}
