//! The chart's RBAC applied to a real API server, and clients that act as
//! the ServiceAccount it binds, with a real ServiceAccount token (a
//! TokenRequest), so that any account name in any namespace can be tested:
//! Kargo's `kargo-external-webhooks-server` as well as one of the gateway's
//! own.

use std::time::{Duration, Instant};

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec, SubjectAccessReview,
    SubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kargo_webhook_testenv::{ControlPlane, Identity, Manifest, render_chart};
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use kube::discovery::Scope;
use serde_json::{Value, json};

use super::KARGO_ACCOUNT;

/// The kinds that make up the chart's RBAC.
pub const RBAC_KINDS: [&str; 5] = [
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
];

/// How long newly written RBAC may take to reach the API server's authorizer.
const RBAC_DELAY: Duration = Duration::from_secs(15);

/// The chart rendered as `release` in `namespace` with `set`, off the
/// async runtime (Helm is a blocking process).
pub async fn render_async(release: &str, namespace: &str, set: &[(&str, &str)]) -> Vec<Manifest> {
    let release = release.to_owned();
    let namespace = namespace.to_owned();
    let set: Vec<(String, String)> = set
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let set: Vec<(&str, &str)> = set.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        render_chart(&release, &namespace, &set).unwrap_or_else(|e| panic!("{e}"))
    })
    .await
    .expect("the render task")
}

/// Server-side applies `object` as the admin (idempotent: safe to repeat,
/// and from several tests at once).
pub async fn apply(control_plane: &ControlPlane, object: &Value) {
    let client = control_plane.admin_client();
    let parsed: DynamicObject =
        serde_json::from_value(object.clone()).expect("a Kubernetes object");
    let types = parsed.types.clone().expect("apiVersion and kind");
    let gvk = GroupVersionKind::try_from(&types).expect("a group/version/kind");
    let (resource, capabilities) = kube::discovery::pinned_kind(&client, &gvk)
        .await
        .unwrap_or_else(|e| panic!("the API server does not serve {types:?}: {e}"));
    let api: Api<DynamicObject> = match (capabilities.scope, &parsed.metadata.namespace) {
        (Scope::Namespaced, Some(namespace)) => {
            Api::namespaced_with(client.clone(), namespace, &resource)
        }
        (Scope::Namespaced, None) => panic!("{} has no namespace", types.kind),
        (Scope::Cluster, _) => Api::all_with(client.clone(), &resource),
    };
    let name = parsed.metadata.name.clone().expect("a name");
    api.patch(
        &name,
        &PatchParams::apply("kargo-webhook-chart-tests").force(),
        &Patch::Apply(object),
    )
    .await
    .unwrap_or_else(|e| panic!("applying {} {name}: {e}", types.kind));
}

/// Creates namespace `name` unless it exists.
pub async fn ensure_namespace(control_plane: &ControlPlane, name: &str) {
    let namespace: Namespace =
        serde_json::from_value(json!({"metadata": {"name": name}})).expect("Namespace");
    match Api::<Namespace>::all(control_plane.admin_client())
        .create(&PostParams::default(), &namespace)
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 409 => {}
        Err(e) => panic!("creating namespace {name}: {e}"),
    }
}

/// Renders the chart as `release` in `namespace` with `set` and applies
/// only its RBAC kinds. Returns what was applied. The namespaces of its
/// RoleBindings must exist.
pub async fn apply_chart_rbac(
    control_plane: &ControlPlane,
    release: &str,
    namespace: &str,
    set: &[(&str, &str)],
) -> Vec<Manifest> {
    ensure_namespace(control_plane, namespace).await;
    let rbac: Vec<Manifest> = render_async(release, namespace, set)
        .await
        .into_iter()
        .filter(|manifest| {
            RBAC_KINDS
                .iter()
                .any(|kind| manifest.object["kind"] == *kind)
        })
        .collect();
    for manifest in &rbac {
        apply(control_plane, &manifest.object).await;
    }
    rbac
}

/// What Kargo grants its own webhook server's account
/// (`kargo-external-webhooks-server` in `kargo_namespace`) to read Secrets:
/// the ClusterRole `kargo-project-secrets-reader` (get, list, watch on
/// Secrets, from Kargo's chart) and, in each of `namespaces`, the RoleBinding
/// of that name that Kargo's management controller creates in every project
/// namespace (and its chart in the cluster Secrets namespace).
pub async fn apply_kargo_grant(
    control_plane: &ControlPlane,
    kargo_namespace: &str,
    namespaces: &[&str],
) {
    apply(
        control_plane,
        &json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "kargo-project-secrets-reader"},
            "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}],
        }),
    )
    .await;
    for namespace in namespaces {
        apply(
            control_plane,
            &json!({
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "kargo-project-secrets-reader", "namespace": namespace},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "kargo-project-secrets-reader",
                },
                "subjects": [{
                    "kind": "ServiceAccount",
                    "name": KARGO_ACCOUNT,
                    "namespace": kargo_namespace,
                }],
            }),
        )
        .await;
    }
}

/// A kube config acting as ServiceAccount `namespace/name` (created if
/// missing), with a one-hour token from a TokenRequest, as a Pod would hold.
pub async fn service_account_config(
    control_plane: &ControlPlane,
    namespace: &str,
    name: &str,
) -> kube::Config {
    let accounts: Api<ServiceAccount> = Api::namespaced(control_plane.admin_client(), namespace);
    let account: ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": name}})).expect("ServiceAccount");
    match accounts.create(&PostParams::default(), &account).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 409 => {}
        Err(e) => panic!("creating ServiceAccount {namespace}/{name}: {e}"),
    }
    let request = TokenRequest {
        spec: Some(TokenRequestSpec {
            // None: the API server's own audiences.
            audiences: None,
            expiration_seconds: Some(3600),
            ..Default::default()
        }),
        ..Default::default()
    };
    let token = accounts
        .create_token_request(name, &PostParams::default(), &request)
        .await
        .unwrap_or_else(|e| panic!("a token for {namespace}/{name}: {e}"))
        .status
        .and_then(|status| status.token)
        .expect("the TokenRequest's token");
    let mut config = control_plane.config(Identity::Admin);
    config.auth_info = Default::default();
    config.auth_info.token = Some(token.into());
    config
}

/// A client acting as ServiceAccount `namespace/name`; see
/// [`service_account_config`].
pub async fn service_account_client(
    control_plane: &ControlPlane,
    namespace: &str,
    name: &str,
) -> kube::Client {
    let config = service_account_config(control_plane, namespace, name).await;
    kube::Client::try_from(config).expect("a client for the ServiceAccount")
}

/// One request, as RBAC sees it.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// The verb, e.g. `list`.
    pub verb: &'static str,
    /// API group (`""` for the core group).
    pub group: &'static str,
    /// Resource, e.g. `secrets`.
    pub resource: &'static str,
    /// Subresource, e.g. `status`.
    pub subresource: Option<&'static str>,
    /// Namespace; `None`: across all namespaces (or a cluster-scoped object).
    pub namespace: Option<String>,
    /// Object name, if the request names one.
    pub name: Option<String>,
}

impl Access {
    /// `verb` on `group`/`resource`, across all namespaces.
    pub fn new(verb: &'static str, group: &'static str, resource: &'static str) -> Self {
        Self {
            verb,
            group,
            resource,
            ..Self::default()
        }
    }

    /// The same request in `namespace`.
    pub fn in_namespace(mut self, namespace: &str) -> Self {
        self.namespace = Some(namespace.to_owned());
        self
    }

    /// The same request on the subresource `subresource`.
    pub fn on(mut self, subresource: &'static str) -> Self {
        self.subresource = Some(subresource);
        self
    }

    /// The same request naming object `name`.
    pub fn named(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    fn attributes(&self) -> ResourceAttributes {
        ResourceAttributes {
            verb: Some(self.verb.to_owned()),
            group: Some(self.group.to_owned()),
            resource: Some(self.resource.to_owned()),
            subresource: self.subresource.map(str::to_owned),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            ..Default::default()
        }
    }
}

/// Whether the identity of `client` may make `access` now.
pub async fn may(client: &kube::Client, access: &Access) -> bool {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(access.attributes()),
            ..Default::default()
        },
        ..Default::default()
    };
    Api::<SelfSubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await
        .expect("SelfSubjectAccessReview")
        .status
        .is_some_and(|status| status.allowed)
}

/// Whether ServiceAccount `namespace/name` may make `access`, as the admin
/// asks the API server (a SubjectAccessReview).
pub async fn account_may(
    control_plane: &ControlPlane,
    namespace: &str,
    name: &str,
    access: &Access,
) -> bool {
    let review = SubjectAccessReview {
        spec: SubjectAccessReviewSpec {
            user: Some(format!("system:serviceaccount:{namespace}:{name}")),
            groups: Some(vec![
                "system:serviceaccounts".to_owned(),
                format!("system:serviceaccounts:{namespace}"),
                "system:authenticated".to_owned(),
            ]),
            resource_attributes: Some(access.attributes()),
            ..Default::default()
        },
        ..Default::default()
    };
    Api::<SubjectAccessReview>::all(control_plane.admin_client())
        .create(&PostParams::default(), &review)
        .await
        .expect("SubjectAccessReview")
        .status
        .is_some_and(|status| status.allowed)
}

/// Waits until the identity of `client` may make `access`: RBAC reaches the
/// authorizer through a watch, a moment after it is written.
pub async fn wait_until_allowed(client: &kube::Client, access: &Access) {
    let started = Instant::now();
    while !may(client, access).await {
        assert!(
            started.elapsed() < RBAC_DELAY,
            "still not allowed {access:?} {} s after applying RBAC",
            RBAC_DELAY.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
