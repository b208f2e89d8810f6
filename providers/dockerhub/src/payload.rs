//! A Docker Hub webhook body and the refresh it announces.
//!
//! Docker Hub sends one shape only, for a push of a tag:
//! `{callback_url, push_data: {tag, media_type, pushed_at, pusher, ...},
//! repository: {repo_name, namespace, name, ...}}`. Only the fields read here
//! are declared; the rest (descriptions, a Dockerfile, counters) is skipped
//! without being built.

use kargo_webhook_provider::{Outcome, PushedContent, RefreshBuilder};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::repo_name;
use kargo_webhook_provider::is_oci_tag;
use kargo_webhook_provider::json::Text;

/// The top level. Its objects stay unparsed until [`object`] has checked
/// that they are objects.
#[derive(Debug, Deserialize)]
struct Payload<'a> {
    #[serde(borrow, default)]
    push_data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    repository: Option<&'a RawValue>,
}

#[derive(Debug, Deserialize)]
struct PushData<'a> {
    /// The tag that was pushed.
    #[serde(borrow, default)]
    tag: Option<Text<'a>>,
    /// The pushed manifest's media type; payloads of older Docker Hub
    /// versions do not carry it.
    #[serde(borrow, default)]
    media_type: Option<Text<'a>>,
}

#[derive(Debug, Deserialize)]
struct Repository<'a> {
    /// `namespace/name`, e.g. `myorg/app` or `library/nginx`.
    #[serde(borrow, default)]
    repo_name: Option<Text<'a>>,
}

/// The refresh a body announces: its repository, with the tag and the kind
/// of content pushed when the body says. `None` for a body that is not a
/// JSON object naming a Docker Hub repository.
///
/// A missing, empty or invalid tag leaves the repository without one (what
/// such a push refreshes is the gateway's selection to decide; Kargo
/// refreshes every subscriber of the repository), and a missing or empty
/// media type leaves the content open (image or chart).
pub(crate) fn refresh(body: &[u8]) -> Option<Outcome> {
    let body = std::str::from_utf8(body).ok()?;
    let payload: Payload<'_> = object(body)?;
    let repository: Repository<'_> = object(payload.repository?.get())?;
    let repository = repo_name::repository(&repository.repo_name?)?;
    let push_data: Option<PushData<'_>> = match payload.push_data {
        Some(raw) => Some(object(raw.get())?),
        None => None,
    };

    let mut refresh = RefreshBuilder::default();
    let mut entry = refresh.repository(repository);
    if let Some(push) = push_data {
        if let Some(tag) = push.tag.as_deref().filter(|tag| is_oci_tag(tag)) {
            entry.add_tag(tag);
        }
        if let Some(media_type) = push.media_type.as_deref().filter(|m| !m.trim().is_empty()) {
            entry.add_content(PushedContent::of_media_type(media_type));
        }
    }
    Some(refresh.build())
}

/// A JSON object read into `T`; `None` for anything else, an array
/// included (serde would build a struct from one, fields by position, and
/// no Docker Hub body has one).
fn object<'a, T: Deserialize<'a>>(json: &'a str) -> Option<T> {
    let start = json.trim_start_matches([' ', '\t', '\n', '\r']);
    if !start.starts_with('{') {
        return None;
    }
    serde_json::from_str(json).ok()
}

#[cfg(test)]
mod tests {
    use kargo_webhook_provider::PushedRepository;

    use super::*;

    fn pushed(body: &str) -> Option<PushedRepository> {
        match refresh(body.as_bytes())? {
            Outcome::Refresh(mut pushes) => {
                assert_eq!(pushes.len(), 1);
                pushes.pop()
            }
            other => panic!("expected a refresh, got {other:?}"),
        }
    }

    #[test]
    fn the_tag_and_media_type_are_read() {
        let push = pushed(
            r#"{"push_data":{"tag":"v1.2.0","media_type":"application/vnd.cncf.helm.config.v1+json"},
                "repository":{"repo_name":"myorg/podinfo"}}"#,
        )
        .expect("a push");
        assert_eq!(push.repository.as_str(), "docker.io/myorg/podinfo");
        assert_eq!(push.tags, ["v1.2.0"]);
        assert!(push.digests.is_empty());
        assert_eq!(push.content, PushedContent::Chart);
    }

    #[test]
    fn without_push_data_the_repository_counts_alone() {
        for body in [
            r#"{"repository":{"repo_name":"myorg/app"}}"#,
            r#"{"push_data":null,"repository":{"repo_name":"myorg/app"}}"#,
            r#"{"push_data":{},"repository":{"repo_name":"myorg/app"}}"#,
            r#"{"push_data":{"tag":"","media_type":""},"repository":{"repo_name":"myorg/app"}}"#,
            r#"{"push_data":{"tag":"not a tag","media_type":"  "},"repository":{"repo_name":"myorg/app"}}"#,
        ] {
            let push = pushed(body).expect(body);
            assert!(push.tags.is_empty(), "{body}");
            assert_eq!(push.content, PushedContent::Either, "{body}");
        }
    }

    #[test]
    fn a_body_without_a_docker_hub_repository_is_none() {
        for body in [
            "",
            "[]",
            "null",
            r#"[{"repository":{"repo_name":"myorg/app"}}]"#,
            r#"{}"#,
            r#"{"repository":null}"#,
            r#"{"repository":{}}"#,
            r#"{"repository":{"repo_name":""}}"#,
            r#"{"repository":{"repo_name":"quay.io/ns/app"}}"#,
            r#"{"repository":{"repo_name":7}}"#,
            r#"{"repository":"myorg/app"}"#,
            r#"{"push_data":{"tag":1},"repository":{"repo_name":"myorg/app"}}"#,
            r#"{"repository":{"repo_name":"a/b","repo_name":"a/b"}}"#,
            r#"{"repository":["myorg/app"]}"#,
            r#"{"push_data":["v1"],"repository":{"repo_name":"myorg/app"}}"#,
        ] {
            assert!(refresh(body.as_bytes()).is_none(), "{body}");
        }
    }
}
