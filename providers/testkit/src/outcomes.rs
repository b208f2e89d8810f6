//! Outcomes and refusals as tests expect them.

use kargo_webhook_provider::{
    ChangedPaths, Outcome, ProviderError, PushedContent, PushedRepository, Refusal, RepoKey,
    Unauthenticated, is_oci_digest, is_oci_tag,
};

/// A body the provider cannot read (400).
pub const INVALID_BODY: Refusal =
    Refusal::Provider(ProviderError::MalformedBody("invalid request body"));
/// No signature where the sender signs (401).
pub const MISSING_SIGNATURE: Refusal =
    Refusal::Unauthenticated(Unauthenticated::MissingCredentials("missing signature"));
/// A signature or token that does not match (401).
pub const UNAUTHORIZED: Refusal =
    Refusal::Unauthenticated(Unauthenticated::WrongCredentials("unauthorized"));

/// The pushes of a refresh outcome; panics on anything else.
pub fn refreshed(result: Result<Outcome, Refusal>) -> Vec<PushedRepository> {
    match result {
        Ok(Outcome::Refresh(pushes)) => pushes,
        other => panic!("expected a refresh, got {other:?}"),
    }
}

/// A Git push of `url` with these refs and changed paths.
pub fn git_push(url: &str, refs: &[&str], changed_paths: ChangedPaths) -> PushedRepository {
    let key = RepoKey::git(url).expect("a Git URL");
    PushedRepository {
        refs: owned(refs),
        changed_paths,
        ..PushedRepository::new(key)
    }
}

/// An image (or OCI chart) push of `reference` with these tags and digests.
pub fn image_push(
    reference: &str,
    tags: &[&str],
    digests: &[&str],
    content: PushedContent,
) -> PushedRepository {
    let key = RepoKey::image(reference).expect("an image reference");
    PushedRepository {
        tags: owned(tags),
        digests: owned(digests),
        content,
        ..PushedRepository::new(key)
    }
}

/// `ChangedPaths::Complete` of these paths.
pub fn paths(paths: &[&str]) -> ChangedPaths {
    ChangedPaths::complete(paths.iter().copied())
}

/// Owned copies of string slices.
pub fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

/// What every refresh must be, whatever the input: at least one repository,
/// each named, its tags OCI tags, its digests OCI digests, its refs named.
pub fn assert_refresh_is_well_formed(pushes: &[PushedRepository]) {
    assert!(!pushes.is_empty(), "a refresh of nothing");
    for push in pushes {
        assert!(!push.repository.as_str().is_empty(), "{push:?}");
        assert!(push.tags.iter().all(|tag| is_oci_tag(tag)), "{push:?}");
        assert!(
            push.digests.iter().all(|digest| is_oci_digest(digest)),
            "{push:?}"
        );
        assert!(
            push.refs.iter().all(|git_ref| !git_ref.is_empty()),
            "{push:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_pushes_carry_what_they_are_given() {
        let push = image_push("nginx", &["1.27"], &[], PushedContent::Image);
        assert_eq!(push.repository.as_str(), "docker.io/library/nginx");
        assert_eq!(push.tags, ["1.27"]);
        assert_refresh_is_well_formed(&[push]);
        let push = git_push(
            "https://example.com/a/b.git",
            &["refs/heads/main"],
            paths(&["x"]),
        );
        assert_eq!(push.refs, ["refs/heads/main"]);
        assert_refresh_is_well_formed(&[push]);
    }

    #[test]
    #[should_panic(expected = "a refresh of nothing")]
    fn an_empty_refresh_is_not_well_formed() {
        assert_refresh_is_well_formed(&[]);
    }

    #[test]
    #[should_panic]
    fn a_tag_outside_the_grammar_is_not_well_formed() {
        assert_refresh_is_well_formed(&[image_push("nginx", &["a:b"], &[], PushedContent::Image)]);
    }
}
