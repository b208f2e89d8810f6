//! What a provider says about one delivery.

use std::collections::{HashMap, HashSet};

use crate::authentication::Unauthenticated;
use crate::reference::RepoKey;

/// One repository a delivery announces new content for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRepository {
    /// The normalized repository.
    pub repository: RepoKey,
    /// Tags that now point at new content (chart versions are tags too).
    pub tags: Vec<String>,
    /// Digests that were pushed, with or without a tag.
    pub digests: Vec<String>,
}

impl PushedRepository {
    /// A repository with no tags or digests yet.
    pub fn new(repository: RepoKey) -> Self {
        Self {
            repository,
            tags: Vec::new(),
            digests: Vec::new(),
        }
    }

    /// Adds a tag once.
    pub fn add_tag(&mut self, tag: &str) {
        if !self.tags.iter().any(|t| t == tag) {
            self.tags.push(tag.to_owned());
        }
    }

    /// Adds a digest once.
    pub fn add_digest(&mut self, digest: &str) {
        if !self.digests.iter().any(|d| d == digest) {
            self.digests.push(digest.to_owned());
        }
    }
}

/// The verdict on an authenticated, well-formed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// New content was pushed to these repositories; the list may be empty
    /// (e.g. a Harbor push with no resources), which refreshes nothing.
    Refresh(Vec<PushedRepository>),
    /// A well-formed event that announces nothing new (a pull, a scan, ...).
    /// The reason is fixed text chosen by the provider, e.g.
    /// `event type PULL_ARTIFACT announces no new artifact`: `'static`, so
    /// that nothing from the request can end up in the answer.
    Ignored(&'static str),
}

impl Outcome {
    /// Groups pushes by repository, keeping the first-seen order, so that a
    /// delivery with several resources of one repository reports it once.
    pub fn refresh(pushes: impl IntoIterator<Item = PushedRepository>) -> Self {
        let mut builder = RefreshBuilder::default();
        for push in pushes {
            let mut entry = builder.repository(push.repository);
            push.tags.iter().for_each(|tag| entry.add_tag(tag));
            push.digests
                .iter()
                .for_each(|digest| entry.add_digest(digest));
        }
        builder.build()
    }
}

/// Builds an [`Outcome::Refresh`] from pushes in linear time: repositories
/// in first-seen order, each tag and digest once. A body with tens of
/// thousands of resources must not cost quadratic time on a worker thread.
#[derive(Debug, Default)]
pub struct RefreshBuilder {
    merged: Vec<PushedRepository>,
    by_repository: HashMap<RepoKey, usize>,
    seen: HashSet<(usize, Pushed)>,
}

/// A tag or a digest of one repository, for de-duplication.
#[derive(Debug, PartialEq, Eq, Hash)]
enum Pushed {
    Tag(String),
    Digest(String),
}

impl RefreshBuilder {
    /// The entry of `repository`, adding it (with nothing pushed yet) if
    /// new. The entry borrows the builder: tags and digests can only be
    /// added to a repository of this builder.
    pub fn repository(&mut self, repository: RepoKey) -> RepositoryEntry<'_> {
        let index = match self.by_repository.get(&repository) {
            Some(&index) => index,
            None => {
                let index = self.merged.len();
                self.by_repository.insert(repository.clone(), index);
                self.merged.push(PushedRepository::new(repository));
                index
            }
        };
        RepositoryEntry {
            builder: self,
            index,
        }
    }

    /// True when no repository was added.
    pub fn is_empty(&self) -> bool {
        self.merged.is_empty()
    }

    /// The refresh of every repository added.
    pub fn build(self) -> Outcome {
        Outcome::Refresh(self.merged)
    }
}

/// One repository of a [`RefreshBuilder`], to record what was pushed to it.
#[derive(Debug)]
pub struct RepositoryEntry<'a> {
    builder: &'a mut RefreshBuilder,
    /// Its position in the builder, which only ever grows.
    index: usize,
}

impl RepositoryEntry<'_> {
    /// Records a tag, once.
    pub fn add_tag(&mut self, tag: &str) {
        self.record(Pushed::Tag(tag.to_owned()));
    }

    /// Records a digest, once.
    pub fn add_digest(&mut self, digest: &str) {
        self.record(Pushed::Digest(digest.to_owned()));
    }

    fn record(&mut self, pushed: Pushed) {
        let builder = &mut *self.builder;
        // Present by construction: the index was handed out by this builder.
        let Some(repository) = builder.merged.get_mut(self.index) else {
            return;
        };
        let (list, value) = match &pushed {
            Pushed::Tag(tag) => (&mut repository.tags, tag.clone()),
            Pushed::Digest(digest) => (&mut repository.digests, digest.clone()),
        };
        if builder.seen.insert((self.index, pushed)) {
            list.push(value);
        }
    }
}

/// Why a provider's parse step refused an authenticated delivery. Each
/// variant maps to one HTTP status, and every reason is fixed text: a
/// refusal never echoes a header or body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The body is not a well-formed event of this provider (400).
    #[error("{0}")]
    MalformedBody(&'static str),
    /// The body's content type is one this provider cannot read (415).
    #[error("{0}")]
    UnsupportedContent(&'static str),
}

impl ProviderError {
    /// The HTTP status code the gateway answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::MalformedBody(_) => 400,
            Self::UnsupportedContent(_) => 415,
        }
    }

    /// The one-line reason sent to the caller.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MalformedBody(r) | Self::UnsupportedContent(r) => r,
        }
    }

    /// A short, stable label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MalformedBody(_) => "malformed_body",
            Self::UnsupportedContent(_) => "unsupported_content",
        }
    }
}

/// Either step's refusal, for callers that run both at once
/// ([`deliver`](crate::deliver)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The authentication step refused the sender (401).
    #[error(transparent)]
    Unauthenticated(#[from] Unauthenticated),
    /// The parse step refused the body (400, 415).
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

impl Refusal {
    /// The HTTP status code the gateway answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthenticated(refusal) => refusal.status(),
            Self::Provider(refusal) => refusal.status(),
        }
    }

    /// The one-line reason sent to the caller.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Unauthenticated(refusal) => refusal.reason(),
            Self::Provider(refusal) => refusal.reason(),
        }
    }

    /// A short, stable label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Unauthenticated(refusal) => refusal.kind(),
            Self::Provider(refusal) => refusal.kind(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::RepoKey;

    #[test]
    fn errors_map_to_one_status_each() {
        assert_eq!(
            ProviderError::MalformedBody("invalid request body").status(),
            400
        );
        assert_eq!(
            ProviderError::UnsupportedContent("unsupported content type").status(),
            415
        );
        assert_eq!(
            ProviderError::MalformedBody("invalid request body").reason(),
            "invalid request body"
        );
        let refused = Refusal::from(Unauthenticated::WrongCredentials("unauthorized"));
        assert_eq!(
            (refused.status(), refused.reason(), refused.kind()),
            (401, "unauthorized", "wrong_credentials")
        );
        let refused = Refusal::from(ProviderError::UnsupportedContent(
            "unsupported content type",
        ));
        assert_eq!(
            (refused.status(), refused.kind()),
            (415, "unsupported_content")
        );
    }

    #[test]
    fn refresh_merges_pushes_of_one_repository() {
        let key = RepoKey::image("harbor.example.org/team/app").expect("valid");
        let other = RepoKey::image("harbor.example.org/team/other").expect("valid");
        let mut a = PushedRepository::new(key.clone());
        a.add_tag("v1");
        a.add_digest("sha256:aa");
        let mut b = PushedRepository::new(other.clone());
        b.add_tag("v9");
        let mut c = PushedRepository::new(key.clone());
        c.add_tag("v1");
        c.add_tag("v2");
        let Outcome::Refresh(merged) = Outcome::refresh([a, b, c]) else {
            panic!("refresh expected");
        };
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].repository, key);
        assert_eq!(merged[0].tags, ["v1", "v2"]);
        assert_eq!(merged[0].digests, ["sha256:aa"]);
        assert_eq!(merged[1].repository, other);
    }

    #[test]
    fn the_builder_records_each_value_once_under_its_repository() {
        let key = RepoKey::image("harbor.example.org/team/app").expect("valid");
        let other = RepoKey::image("harbor.example.org/team/other").expect("valid");
        let mut builder = RefreshBuilder::default();
        assert!(builder.is_empty());
        builder.repository(key.clone()).add_tag("v1");
        builder.repository(other.clone()).add_digest("sha256:bb");
        let mut again = builder.repository(key.clone());
        again.add_tag("v1");
        again.add_digest("sha256:aa");
        // The same text as a tag and as a digest is two different values.
        again.add_digest("v1");
        let Outcome::Refresh(merged) = builder.build() else {
            panic!("refresh expected");
        };
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].repository, key);
        assert_eq!(merged[0].tags, ["v1"]);
        assert_eq!(merged[0].digests, ["sha256:aa", "v1"]);
        assert_eq!(merged[1].repository, other);
        assert!(merged[1].tags.is_empty());
        assert_eq!(merged[1].digests, ["sha256:bb"]);
    }

    #[test]
    fn merging_many_pushes_of_one_repository_keeps_each_tag_once() {
        let key = RepoKey::image("harbor.example.org/team/app").expect("valid");
        let pushes = (0..50_000).map(|i| {
            let mut push = PushedRepository::new(key.clone());
            push.add_tag(&format!("v{i}"));
            push.add_tag("latest");
            push
        });
        let Outcome::Refresh(merged) = Outcome::refresh(pushes) else {
            panic!("refresh expected");
        };
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].tags.len(), 50_001);
        assert_eq!(merged[0].tags[..3], ["v0", "latest", "v1"]);
    }
}
