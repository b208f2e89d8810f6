//! What a provider says about one delivery.

use std::collections::{HashMap, HashSet};

use crate::authentication::Unauthenticated;
use crate::reference::RepoKey;

/// What kind of artifact a registry push carries, from its media type.
///
/// A chart push refreshes chart subscriptions only and an image push image
/// subscriptions only; a push whose media type is unknown or absent may be
/// either (Kargo reads it both ways too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum PushedContent {
    /// A container image (a Docker or OCI image manifest or index).
    Image,
    /// A Helm chart (`application/vnd.cncf.helm...`).
    Chart,
    /// Unknown: either.
    #[default]
    Either,
}

impl PushedContent {
    /// The content a registry's media type names. Helm's media types make a
    /// chart; the manifest, index and config types of Docker and OCI images
    /// an image; anything else (an empty string, an OCI manifest that may
    /// hold either) is [`PushedContent::Either`].
    pub fn of_media_type(media_type: &str) -> Self {
        const IMAGE_TYPES: [&str; 5] = [
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.docker.container.image.v1+json",
        ];
        let media_type = media_type.trim();
        if media_type.starts_with("application/vnd.cncf.helm") {
            Self::Chart
        } else if IMAGE_TYPES.contains(&media_type) {
            Self::Image
        } else {
            Self::Either
        }
    }

    /// What two pushes of one repository carry together.
    pub fn merge(self, other: Self) -> Self {
        if self == other { self } else { Self::Either }
    }
}

/// The files a Git push changed, as far as its payload tells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ChangedPaths {
    /// The payload lists no files, or not all of them (senders cap the
    /// commits they include): path filters cannot be applied.
    #[default]
    Unknown,
    /// Every file the push changed (added, modified or removed), sorted,
    /// each once.
    Complete(Vec<String>),
}

impl ChangedPaths {
    /// The complete list of `paths`, sorted and de-duplicated.
    pub fn complete<S: Into<String>>(paths: impl IntoIterator<Item = S>) -> Self {
        let mut paths: Vec<String> = paths.into_iter().map(Into::into).collect();
        paths.sort_unstable();
        paths.dedup();
        Self::Complete(paths)
    }

    /// What two pushes of one repository changed together: complete only
    /// when both are.
    fn merge(self, other: Self) -> Self {
        match (self, other) {
            (Self::Complete(a), Self::Complete(b)) => Self::complete(a.into_iter().chain(b)),
            _ => Self::Unknown,
        }
    }
}

/// One repository a delivery announces new content for.
///
/// What a push names qualifies which subscribers it concerns: registry
/// pushes name tags (chart versions are tags too) and digests, Git pushes
/// name refs (`refs/heads/main`, `refs/tags/v1.2.0`) and the files changed.
/// How each subscription judges them is the gateway's selection rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRepository {
    /// The normalized repository.
    pub repository: RepoKey,
    /// Tags that now point at new content.
    pub tags: Vec<String>,
    /// Digests that were pushed, with or without a tag.
    pub digests: Vec<String>,
    /// Git refs that moved, in full (`refs/heads/<branch>`, `refs/tags/<tag>`).
    pub refs: Vec<String>,
    /// The files a Git push changed.
    pub changed_paths: ChangedPaths,
    /// What a registry push carries.
    pub content: PushedContent,
}

impl PushedRepository {
    /// A repository with nothing pushed yet: no tag, digest or ref, changed
    /// paths unknown, content either.
    pub fn new(repository: RepoKey) -> Self {
        Self {
            repository,
            tags: Vec::new(),
            digests: Vec::new(),
            refs: Vec::new(),
            changed_paths: ChangedPaths::Unknown,
            content: PushedContent::Either,
        }
    }

    /// Adds a tag once.
    pub fn add_tag(&mut self, tag: &str) {
        add_once(&mut self.tags, tag);
    }

    /// Adds a digest once.
    pub fn add_digest(&mut self, digest: &str) {
        add_once(&mut self.digests, digest);
    }

    /// Adds a Git ref once.
    pub fn add_ref(&mut self, git_ref: &str) {
        add_once(&mut self.refs, git_ref);
    }
}

fn add_once(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|known| known == value) {
        list.push(value.to_owned());
    }
}

/// The verdict on an authenticated, well-formed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// New content was pushed to these repositories; the list may be empty
    /// (e.g. a Harbor push with no resources), which refreshes nothing.
    Refresh(Vec<PushedRepository>),
    /// A pull request was merged or closed: the Promotions waiting on it
    /// (a `git-wait-for-pr` step) should look again. The URL is the pull
    /// request's web page, as the sender gives it.
    PullRequestClosed {
        /// The pull request's URL.
        url: String,
    },
    /// The sender checks that the receiver is reachable and configured.
    Ping,
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
            push.refs.iter().for_each(|git_ref| entry.add_ref(git_ref));
            entry.add_content(push.content);
            entry.add_changed_paths(push.changed_paths);
        }
        builder.build()
    }
}

impl Outcome {
    /// A Git push: the repository under each of `keys` (its clone URL, its
    /// SSH URL, ...; keys that normalize alike merge), each with the moved
    /// `refs` and the changed `paths`.
    pub fn git_push(
        keys: impl IntoIterator<Item = RepoKey>,
        refs: &[&str],
        paths: &ChangedPaths,
    ) -> Self {
        let mut builder = RefreshBuilder::default();
        for key in keys {
            let mut entry = builder.repository(key);
            refs.iter().for_each(|git_ref| entry.add_ref(git_ref));
            entry.add_changed_paths(paths.clone());
        }
        builder.build()
    }
}

/// Builds an [`Outcome::Refresh`] from pushes in linear time: repositories
/// in first-seen order, each tag, digest and ref once. A body with tens of
/// thousands of resources must not cost quadratic time on a worker thread;
/// the usual delivery (one repository, a tag and a digest) must not pay for
/// hashing either: lists are searched in place until they grow past
/// [`SEARCHED_IN_PLACE`], then through a hash set.
#[derive(Debug, Default)]
pub struct RefreshBuilder {
    merged: Vec<Merging>,
    /// Built once there are more than [`SEARCHED_IN_PLACE`] repositories.
    by_repository: Option<HashMap<RepoKey, usize>>,
}

/// Entries searched one by one before a hash set takes over.
const SEARCHED_IN_PLACE: usize = 16;

/// One repository being built: its push, and whether a content or changed
/// paths were recorded yet (the first recorded value is taken as it is,
/// later ones are merged in).
#[derive(Debug)]
struct Merging {
    push: PushedRepository,
    content_seen: bool,
    paths_seen: bool,
    /// Built once the repository's tags, digests and refs together are
    /// more than [`SEARCHED_IN_PLACE`].
    seen: Option<HashSet<Pushed>>,
}

/// A tag, a digest or a ref of one repository, for de-duplication.
#[derive(Debug, PartialEq, Eq, Hash)]
enum Pushed {
    Tag(String),
    Digest(String),
    Ref(String),
}

impl RefreshBuilder {
    /// The entry of `repository`, adding it (with nothing pushed yet) if
    /// new. The entry borrows the builder: values can only be added to a
    /// repository of this builder.
    pub fn repository(&mut self, repository: RepoKey) -> RepositoryEntry<'_> {
        let index = match self.position(&repository) {
            Some(index) => index,
            None => {
                let index = self.merged.len();
                if let Some(by_repository) = &mut self.by_repository {
                    by_repository.insert(repository.clone(), index);
                }
                self.merged.push(Merging {
                    push: PushedRepository::new(repository),
                    content_seen: false,
                    paths_seen: false,
                    seen: None,
                });
                if self.by_repository.is_none() && self.merged.len() > SEARCHED_IN_PLACE {
                    let by_repository = self.merged.iter().enumerate();
                    let by_repository = by_repository.map(|(i, m)| (m.push.repository.clone(), i));
                    self.by_repository = Some(by_repository.collect());
                }
                index
            }
        };
        RepositoryEntry {
            builder: self,
            index,
        }
    }

    fn position(&self, repository: &RepoKey) -> Option<usize> {
        match &self.by_repository {
            Some(by_repository) => by_repository.get(repository).copied(),
            None => self
                .merged
                .iter()
                .position(|m| &m.push.repository == repository),
        }
    }

    /// True when no repository was added.
    pub fn is_empty(&self) -> bool {
        self.merged.is_empty()
    }

    /// The refresh of every repository added.
    pub fn build(self) -> Outcome {
        Outcome::Refresh(self.merged.into_iter().map(|m| m.push).collect())
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
        self.record(Kind::Tag, tag);
    }

    /// Records a digest, once.
    pub fn add_digest(&mut self, digest: &str) {
        self.record(Kind::Digest, digest);
    }

    /// Records a Git ref, once.
    pub fn add_ref(&mut self, git_ref: &str) {
        self.record(Kind::Ref, git_ref);
    }

    /// Records what a push carries; two different contents make
    /// [`PushedContent::Either`].
    pub fn add_content(&mut self, content: PushedContent) {
        if let Some(merging) = self.merging() {
            merging.push.content = if merging.content_seen {
                merging.push.content.merge(content)
            } else {
                content
            };
            merging.content_seen = true;
        }
    }

    /// Records the files a push changed; the list stays complete only while
    /// every push recorded is.
    pub fn add_changed_paths(&mut self, paths: ChangedPaths) {
        if let Some(merging) = self.merging() {
            let known = std::mem::take(&mut merging.push.changed_paths);
            merging.push.changed_paths = if merging.paths_seen {
                known.merge(paths)
            } else {
                paths
            };
            merging.paths_seen = true;
        }
    }

    fn merging(&mut self) -> Option<&mut Merging> {
        // Present by construction: the index was handed out by this builder.
        self.builder.merged.get_mut(self.index)
    }

    fn record(&mut self, kind: Kind, value: &str) {
        let Some(merging) = self.merging() else {
            return;
        };
        let repository = &mut merging.push;
        let new = match &mut merging.seen {
            Some(seen) => seen.insert(kind.pushed(value)),
            None => !kind.list(repository).iter().any(|known| known == value),
        };
        if !new {
            return;
        }
        kind.list(repository).push(value.to_owned());
        let recorded = repository.tags.len() + repository.digests.len() + repository.refs.len();
        if merging.seen.is_none() && recorded > SEARCHED_IN_PLACE {
            merging.seen = Some(Kind::all_pushed(repository).collect());
        }
    }
}

/// Which list of a repository a value goes to.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Tag,
    Digest,
    Ref,
}

impl Kind {
    fn list(self, repository: &mut PushedRepository) -> &mut Vec<String> {
        match self {
            Self::Tag => &mut repository.tags,
            Self::Digest => &mut repository.digests,
            Self::Ref => &mut repository.refs,
        }
    }

    fn pushed(self, value: &str) -> Pushed {
        let value = value.to_owned();
        match self {
            Self::Tag => Pushed::Tag(value),
            Self::Digest => Pushed::Digest(value),
            Self::Ref => Pushed::Ref(value),
        }
    }

    /// Everything recorded of `repository`, for its hash set.
    fn all_pushed(repository: &PushedRepository) -> impl Iterator<Item = Pushed> + '_ {
        let tags = repository.tags.iter().map(|v| Self::Tag.pushed(v));
        let digests = repository.digests.iter().map(|v| Self::Digest.pushed(v));
        let refs = repository.refs.iter().map(|v| Self::Ref.pushed(v));
        tags.chain(digests).chain(refs)
    }
}

/// Why a provider's parse step refused an authenticated delivery. Every
/// reason is fixed text: a refusal never echoes a header or body. The
/// gateway answers each kind with its own status (a malformed body is the
/// sender's mistake, 400; content it cannot read, 415).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The body is not a well-formed event of this provider.
    #[error("{0}")]
    MalformedBody(&'static str),
    /// The body's content type is one this provider cannot read.
    #[error("{0}")]
    UnsupportedContent(&'static str),
}

impl ProviderError {
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
    /// The authentication step refused the sender.
    #[error(transparent)]
    Unauthenticated(#[from] Unauthenticated),
    /// The parse step refused the body.
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

impl Refusal {
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
    fn refusals_keep_their_fixed_reason_and_kind() {
        let malformed = ProviderError::MalformedBody("invalid request body");
        assert_eq!(
            (malformed.reason(), malformed.kind()),
            ("invalid request body", "malformed_body")
        );
        let refused = Refusal::from(Unauthenticated::WrongCredentials("unauthorized"));
        assert_eq!(
            (refused.reason(), refused.kind()),
            ("unauthorized", "wrong_credentials")
        );
        let refused = Refusal::from(ProviderError::UnsupportedContent(
            "unsupported content type",
        ));
        assert_eq!(
            (refused.reason(), refused.kind()),
            ("unsupported content type", "unsupported_content")
        );
    }

    #[test]
    fn media_types_tell_charts_from_images() {
        for (media_type, content) in [
            (
                "application/vnd.cncf.helm.config.v1+json",
                PushedContent::Chart,
            ),
            (
                "application/vnd.docker.distribution.manifest.v2+json",
                PushedContent::Image,
            ),
            (
                "application/vnd.oci.image.index.v1+json",
                PushedContent::Image,
            ),
            (
                "application/vnd.oci.image.manifest.v1+json",
                PushedContent::Either,
            ),
            ("", PushedContent::Either),
        ] {
            assert_eq!(
                PushedContent::of_media_type(media_type),
                content,
                "{media_type}"
            );
        }
        assert_eq!(
            PushedContent::Chart.merge(PushedContent::Chart),
            PushedContent::Chart
        );
        assert_eq!(
            PushedContent::Chart.merge(PushedContent::Image),
            PushedContent::Either
        );
    }

    #[test]
    fn git_pushes_merge_refs_and_changed_paths() {
        let key = RepoKey::git("https://github.com/example/app").expect("valid");
        let mut builder = RefreshBuilder::default();
        let mut entry = builder.repository(key.clone());
        entry.add_ref("refs/heads/main");
        entry.add_changed_paths(ChangedPaths::complete(["b.txt", "a.txt", "b.txt"]));
        let mut again = builder.repository(key.clone());
        again.add_ref("refs/heads/main");
        again.add_ref("refs/tags/v1.0.0");
        again.add_changed_paths(ChangedPaths::complete(["c.txt"]));
        let Outcome::Refresh(merged) = builder.build() else {
            panic!("refresh expected");
        };
        assert_eq!(merged[0].refs, ["refs/heads/main", "refs/tags/v1.0.0"]);
        assert_eq!(
            merged[0].changed_paths,
            ChangedPaths::Complete(vec!["a.txt".into(), "b.txt".into(), "c.txt".into()])
        );
        // One push whose list is incomplete makes the whole list unknown.
        let mut builder = RefreshBuilder::default();
        builder
            .repository(key.clone())
            .add_changed_paths(ChangedPaths::complete(["a.txt"]));
        builder
            .repository(key)
            .add_changed_paths(ChangedPaths::Unknown);
        let Outcome::Refresh(merged) = builder.build() else {
            panic!("refresh expected");
        };
        assert_eq!(merged[0].changed_paths, ChangedPaths::Unknown);
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
    fn values_stay_once_each_across_the_switch_to_hash_sets() {
        // 40 repositories and 61 values each, every one recorded twice: both
        // counts cross the point where searching in place stops.
        let keys: Vec<RepoKey> = (0..40)
            .map(|i| RepoKey::image(&format!("harbor.example.org/team/app{i}")).expect("valid"))
            .collect();
        let mut builder = RefreshBuilder::default();
        for _ in 0..2 {
            for key in &keys {
                let mut entry = builder.repository(key.clone());
                for value in 0..30 {
                    entry.add_tag(&format!("v{value}"));
                    entry.add_digest(&format!("sha256:{value}"));
                }
                entry.add_ref("refs/heads/main");
            }
        }
        let Outcome::Refresh(merged) = builder.build() else {
            panic!("refresh expected");
        };
        let repositories: Vec<&RepoKey> = merged.iter().map(|m| &m.repository).collect();
        assert_eq!(repositories, keys.iter().collect::<Vec<_>>());
        for push in &merged {
            assert_eq!(push.tags.len(), 30);
            assert_eq!(push.tags[..2], ["v0", "v1"]);
            assert_eq!(push.digests.len(), 30);
            assert_eq!(push.refs, ["refs/heads/main"]);
        }
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
