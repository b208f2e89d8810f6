//! From Docker Hub's `repository.repo_name` to a repository key.

use std::borrow::Cow;

use kargo_webhook_provider::RepoKey;

/// The registry every Docker Hub repository key is on.
const DOCKER_HUB_PREFIX: &str = "docker.io/";

/// The repository `repo_name` names: `namespace/name` for a user's or an
/// organization's repository, `library/name` (or `name`) for an official
/// image. `RepoKey::image` folds every spelling of a Docker Hub repository
/// into one key (`nginx`, `library/nginx`, `docker.io/library/nginx`,
/// `index.docker.io/library/nginx` and `registry-1.docker.io/library/nginx`
/// all give `docker.io/library/nginx`), so a push meets a subscription
/// however either spells it.
///
/// `None` for text that names no repository, and for a name on another
/// registry: Docker Hub only ever sends its own repositories, so such a body
/// is not Docker Hub's.
pub(crate) fn repository(repo_name: &str) -> Option<RepoKey> {
    let name = repo_name.trim();
    // Docker Hub's web pages name an official image `_/<name>`
    // (hub.docker.com/_/nginx), and early webhook payloads used that form.
    let name = match name.strip_prefix("_/") {
        Some("") => return None,
        Some(official) => Cow::Owned(format!("library/{official}")),
        None => Cow::Borrowed(name),
    };
    let key = RepoKey::image(&name).ok()?;
    key.as_str().starts_with(DOCKER_HUB_PREFIX).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(repo_name: &str) -> Option<String> {
        repository(repo_name).map(|key| key.as_str().to_owned())
    }

    #[test]
    fn every_spelling_of_an_official_image_is_one_key() {
        for repo_name in [
            "nginx",
            "library/nginx",
            "docker.io/library/nginx",
            "docker.io/nginx",
            "index.docker.io/library/nginx",
            "registry-1.docker.io/library/nginx",
            "_/nginx",
            "NGINX",
            "Library/Nginx",
            " library/nginx ",
        ] {
            assert_eq!(
                key(repo_name).as_deref(),
                Some("docker.io/library/nginx"),
                "{repo_name}"
            );
        }
    }

    #[test]
    fn organization_repositories_keep_their_namespace() {
        for repo_name in [
            "myorg/app",
            "MyOrg/App",
            "docker.io/myorg/app",
            "index.docker.io/myorg/app",
        ] {
            assert_eq!(
                key(repo_name).as_deref(),
                Some("docker.io/myorg/app"),
                "{repo_name}"
            );
        }
        assert_ne!(key("myorg/app"), key("library/app"));
    }

    #[test]
    fn other_registries_and_non_names_are_refused() {
        for repo_name in [
            "",
            "  ",
            "quay.io/ns/repo",
            "ghcr.io/org/app",
            "localhost:5000/app",
            "myorg/team//app",
            "my org/app",
            "_/",
        ] {
            assert_eq!(key(repo_name), None, "{repo_name:?}");
        }
    }
}
