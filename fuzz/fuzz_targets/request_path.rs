//! Drives whole requests through the gateway's request path: routing
//! (`route::lookup` over a real `ReceiverTable`), the provider
//! (`Provider::handle` with the receiver's credentials) and matching
//! (`dispatch::select_targets` over a `WarehouseIndex`, part of whose
//! subscriptions come from the input).
//!
//! Input layout: three mode bytes, then four fields separated by NUL:
//! `target \0 authorization \0 subscriptions \0 body`.
//!
//! - byte 0, the request target: `0..=3` the published path of live
//!   receiver n; `4..=7` that path followed by the target field; `8..=11`
//!   the target field followed by that path; anything else the target
//!   field alone. The target is parsed like the HTTP server does
//!   (`http::Uri`), and one it refuses ends the input.
//! - byte 1, the `Authorization` header: `0` the receiver's own secret,
//!   `1` the next receiver's, `2` none, `3` empty, `4` its own with a
//!   trailing space, `5` its own upper-cased, anything else the
//!   authorization field.
//! - byte 2, the `Content-Type`: an index into [`CONTENT_TYPES`].
//! - subscriptions: a JSON array of Warehouse subscriptions, indexed for
//!   two more Warehouses, `team-a/fuzzed` and `team-c/fuzzed`.
//!
//! Invariants, besides "no panic": a routed target is exactly a published
//! path; input without the receiver's secret is refused 401 and never
//! reaches matching; every matched Warehouse is in the receiver's scope
//! and subscribes to a pushed repository; a push of digests only is
//! ignored as such.

#![no_main]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock};

use kargo_webhook_gateway::internals::{
    OwnerReceivers, RateLimit, Receiver, ReceiverTable, ResolveContext, SecretData, SecretLookup,
    Subscriptions, UrlLayout, WarehouseIndex, is_digest_only, resolve, route, select_targets,
};
use kargo_webhook_gateway::kargo::WebhookReceiverConfig;
use kargo_webhook_gateway::kargo::{Owner, WarehouseId};
use kargo_webhook_gateway::providers_linked;
use kargo_webhook_provider::{
    HeaderSource, Outcome, PushedRepository, RepoKey, RequestHead, SecretValue,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const BASE_PATH: &str = "/hooks";
const CLUSTER_SECRETS: &str = "kargo-system-resources";

/// Content types: Harbor's two, spellings of them, and foreign ones.
/// `None` sends no `Content-Type`.
const CONTENT_TYPES: [Option<&[u8]>; 8] = [
    Some(b"application/json"),
    Some(b"application/cloudevents+json"),
    None,
    Some(b"application/json; charset=utf-8"),
    Some(b"text/plain"),
    Some(b""),
    Some(b"application/json\xff"),
    Some(b"APPLICATION/CLOUDEVENTS+JSON"),
];

/// The receivers and the fixed Warehouses, built once.
struct World {
    table: ReceiverTable,
    /// The live receivers in the table's order, with their secrets.
    live: Vec<(Arc<Receiver>, &'static [u8])>,
    /// The fixed Warehouses: (namespace, name, subscriptions).
    warehouses: Vec<(&'static str, &'static str, Value)>,
}

static WORLD: LazyLock<World> = LazyLock::new(build_world);

fn build_world() -> World {
    let registry = providers_linked::registry().expect("linked providers");
    let secrets: HashMap<(&str, &str), &'static [u8]> = HashMap::from([
        (("team-a", "harbor"), &b"Basic ZnV6ejpmdXp6"[..]),
        (("team-a", "second"), &b"Bearer second"[..]),
        // The same value as team-a's: the token still differs per namespace.
        (("team-b", "harbor"), &b"Basic ZnV6ejpmdXp6"[..]),
        ((CLUSTER_SECRETS, "cluster"), &b"Bearer cluster"[..]),
    ]);
    let lookup = |namespace: &str, name: &str| match secrets.get(&(namespace, name)) {
        Some(value) => {
            let data: SecretData =
                BTreeMap::from([("auth-header".to_owned(), SecretValue::new(value.to_vec()))]);
            SecretLookup::Found(Arc::new(data))
        }
        None => SecretLookup::NotFound,
    };
    let layout = UrlLayout::new("http://gateway.fuzz", BASE_PATH).expect("valid layout");
    let owners = [
        (
            Owner::Project {
                namespace: "team-a".into(),
                name: "team-a".into(),
            },
            json!([
                {"name": "harbor", "harbor": {"secretRef": {"name": "harbor"}}},
                {"name": "second", "harbor": {"secretRef": {"name": "second"}}},
                {"name": "broken", "harbor": {"secretRef": {"name": "missing"}}},
            ]),
        ),
        (
            Owner::Project {
                namespace: "team-b".into(),
                name: "team-b".into(),
            },
            json!([{"name": "harbor", "harbor": {"secretRef": {"name": "harbor"}}}]),
        ),
        (
            Owner::Cluster {
                name: "cluster".into(),
            },
            json!([{"name": "all", "harbor": {"secretRef": {"name": "cluster"}}}]),
        ),
    ];
    let context = ResolveContext {
        registry: &registry,
        cluster_secrets_namespace: CLUSTER_SECRETS,
        rate_limit: RateLimit::UNLIMITED,
        layout: &layout,
    };
    let owners: Vec<OwnerReceivers> = owners
        .into_iter()
        .map(|(owner, spec)| {
            let entries: Vec<WebhookReceiverConfig> =
                serde_json::from_value(spec).expect("receiver entries");
            let results = resolve(&owner, &entries, context, &lookup);
            OwnerReceivers {
                owner,
                generation: Some(1),
                results,
                published: Vec::new(),
            }
        })
        .collect();
    let table = ReceiverTable::build(owners, None);
    let live: Vec<(Arc<Receiver>, &'static [u8])> = table
        .owners()
        .iter()
        .flat_map(|owner| owner.results.iter())
        .filter_map(|result| result.state.as_ref().ok())
        .map(|receiver| {
            let namespace = receiver.owner.namespace().unwrap_or(CLUSTER_SECRETS);
            let secret_name = if receiver.name == "all" {
                "cluster"
            } else {
                receiver.name.as_str()
            };
            (Arc::clone(receiver), secrets[&(namespace, secret_name)])
        })
        .collect();
    assert_eq!(live.len(), 4, "four live receivers");
    let nginx = "harbor.example.com/library/nginx";
    World {
        table,
        live,
        warehouses: vec![
            (
                "team-a",
                "nginx-semver",
                json!([{"image": {"repoURL": nginx, "constraint": "^1.27"}}]),
            ),
            (
                "team-a",
                "nginx-lexical",
                json!([{"image": {"repoURL": format!("{nginx}:latest"), "imageSelectionStrategy": "Lexical"}}]),
            ),
            (
                "team-a",
                "chart",
                json!([{"chart": {"repoURL": format!("oci://{nginx}")}}]),
            ),
            ("team-b", "nginx", json!([{"image": {"repoURL": nginx}}])),
            (
                "team-c",
                "regex",
                json!([{"image": {"repoURL": nginx, "allowTagsRegexes": ["^v?1\\."]}}]),
            ),
            (
                "team-c",
                "git",
                json!([{"git": {"repoURL": "https://github.com/example/app.git"}}]),
            ),
        ],
    }
}

/// The repositories a Warehouse's subscriptions name, read the way the
/// gateway documents it (image, else chart, else git), independently of
/// the index.
fn subscribed_repositories(subscriptions: &[Value]) -> Vec<RepoKey> {
    let text = |object: &Value, field: &str| object.get(field)?.as_str().map(str::to_owned);
    subscriptions
        .iter()
        .filter_map(|subscription| {
            if let Some(image) = subscription.get("image") {
                RepoKey::image(&text(image, "repoURL")?).ok()
            } else if let Some(chart) = subscription.get("chart") {
                let name = text(chart, "name");
                RepoKey::chart(&text(chart, "repoURL")?, name.as_deref()).ok()
            } else if let Some(git) = subscription.get("git") {
                RepoKey::git(&text(git, "repoURL")?).ok()
            } else {
                None
            }
        })
        .collect()
}

/// Headers as a list, the way the SDK reads a header map.
struct Headers<'a>(Vec<(&'a str, &'a [u8])>);

impl HeaderSource for Headers<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.0.as_slice().header(name)
    }
}

fn fields(data: &[u8]) -> [&[u8]; 4] {
    let mut parts = data.splitn(4, |&b| b == 0);
    std::array::from_fn(|_| parts.next().unwrap_or_default())
}

fuzz_target!(|data: &[u8]| {
    let world = &*WORLD;
    let [modes, rest] = [&data[..data.len().min(3)], &data[data.len().min(3)..]];
    let mode = |i: usize| modes.get(i).copied().unwrap_or(0);
    let [target_field, auth_field, subscriptions_field, body] = fields(rest);

    // Routing.
    let published = |n: u8| world.live[usize::from(n) % 4].0.path.as_str().to_owned();
    let target_text = String::from_utf8_lossy(target_field);
    let target = match mode(0) {
        n @ 0..=3 => published(n),
        n @ 4..=7 => format!("{}{target_text}", published(n)),
        n @ 8..=11 => format!("{target_text}{}", published(n)),
        _ => target_text.into_owned(),
    };
    let Ok(uri) = target.parse::<http::Uri>() else {
        return;
    };
    let Some(receiver) = route::lookup(&world.table, uri.path(), uri.query()) else {
        return;
    };
    assert_eq!(
        uri.path(),
        receiver.path.as_str(),
        "only the published path routes"
    );
    assert!(uri.query().is_none(), "a query string never routes");
    let index_of = |r: &Arc<Receiver>| {
        world
            .live
            .iter()
            .position(|(live, _)| Arc::ptr_eq(live, r))
            .expect("a live receiver")
    };
    let own = index_of(receiver);
    let own_secret = world.live[own].1;

    // The provider.
    let presented: Option<Vec<u8>> = match mode(1) {
        0 => Some(own_secret.to_vec()),
        1 => Some(world.live[(own + 1) % 4].1.to_vec()),
        2 => None,
        3 => Some(Vec::new()),
        4 => Some([own_secret, b" "].concat()),
        5 => Some(own_secret.to_ascii_uppercase()),
        _ => Some(auth_field.to_vec()),
    };
    let authentic = presented.as_deref() == Some(own_secret);
    let mut headers = Vec::new();
    if let Some(value) = presented.as_deref() {
        headers.push(("authorization", value));
    }
    if let Some(Some(content_type)) = CONTENT_TYPES.get(usize::from(mode(2))) {
        headers.push(("content-type", *content_type));
    }
    let headers = Headers(headers);
    // Authentication sees the head only; the body exists for the parse
    // step alone, so an unauthenticated body cannot be read by the types.
    let head = RequestHead::new("POST", &headers);
    let authenticated = match receiver.provider.authenticate(head, &receiver.credentials) {
        Err(_) => {
            assert!(!authentic, "the receiver's own secret was refused");
            return;
        }
        Ok(authenticated) => {
            assert!(authentic, "a head without the receiver's secret passed");
            authenticated
        }
    };
    let delivery = authenticated
        .with_body(body)
        .expect("a header scheme owes no body check");
    let pushes: Vec<PushedRepository> = match receiver.provider.parse(&delivery, &receiver.options)
    {
        Err(_) | Ok(Outcome::Ignored(_) | Outcome::Ping | Outcome::PullRequestClosed { .. }) => {
            return;
        }
        Ok(Outcome::Refresh(pushes)) => pushes,
    };

    // Matching, over the fixed Warehouses and two from the input.
    let fuzzed: Vec<Value> = serde_json::from_slice(subscriptions_field).unwrap_or_default();
    let mut index = WarehouseIndex::default();
    let mut subscribed: HashMap<WarehouseId, Vec<RepoKey>> = HashMap::new();
    let all = world
        .warehouses
        .iter()
        .map(|(ns, name, spec)| (*ns, *name, spec.as_array().expect("array").as_slice()))
        .chain([
            ("team-a", "fuzzed", &fuzzed[..]),
            ("team-c", "fuzzed", &fuzzed[..]),
        ]);
    for (namespace, name, spec) in all {
        let id = WarehouseId::new(namespace, name);
        subscribed.insert(id.clone(), subscribed_repositories(spec));
        index.apply(id, Subscriptions::from_spec(spec));
    }
    // Digests alone move no tag: such a delivery is ignored as a whole.
    let digest_only = pushes
        .iter()
        .filter(|p| p.tags.is_empty() && p.refs.is_empty() && !p.digests.is_empty())
        .count();
    match select_targets(&index, receiver, &pushes) {
        Err(_) => assert!(
            !pushes.is_empty() && digest_only == pushes.len(),
            "refused a push that names a tag, or nothing"
        ),
        Ok(targets) => {
            assert!(
                pushes.is_empty() || digest_only < pushes.len(),
                "matched a push of digests only"
            );
            for target in &targets {
                assert!(
                    receiver.scope.contains(target.namespace()),
                    "{target} is outside the receiver's scope"
                );
                let repositories = &subscribed[target];
                assert!(
                    pushes.iter().any(|push| {
                        !is_digest_only(push) && repositories.contains(&push.repository)
                    }),
                    "{target} subscribes to no pushed repository"
                );
            }
        }
    }
});
