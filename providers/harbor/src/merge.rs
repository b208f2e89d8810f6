//! Merging a push's resources per repository in linear time.
//!
//! `Outcome::refresh` merges the same way but searches its list for every
//! push, which is quadratic: a 2 MiB body of tens of thousands of resources
//! took most of a minute in a debug build. Harbor sends one resource per
//! event, but one bad sender must not stall a worker, so the provider merges
//! with hash maps and builds the same `Outcome::Refresh` itself.

use std::collections::{HashMap, HashSet};

use kargo_webhook_provider::{Outcome, PushedRepository, RepoKey};

use crate::artifact_ref::ArtifactRef;

/// Pushes grouped by repository, in first-seen order, each tag and digest
/// once: what `Outcome::refresh` would give for the same pushes.
#[derive(Debug, Default)]
pub(crate) struct MergedPushes<'r> {
    merged: Vec<PushedRepository>,
    by_repository: HashMap<RepoKey, usize>,
    seen: HashSet<(usize, ArtifactRef<'r>)>,
}

impl<'r> MergedPushes<'r> {
    /// Records that `references` were pushed to `repository`; invalid
    /// references are left out, the repository still counts.
    pub(crate) fn add(
        &mut self,
        repository: RepoKey,
        references: impl IntoIterator<Item = ArtifactRef<'r>>,
    ) {
        let index = match self.by_repository.get(&repository) {
            Some(&index) => index,
            None => {
                let index = self.merged.len();
                self.by_repository.insert(repository.clone(), index);
                self.merged.push(PushedRepository::new(repository));
                index
            }
        };
        for reference in references {
            if matches!(reference, ArtifactRef::Invalid) || !self.seen.insert((index, reference)) {
                continue;
            }
            let push = &mut self.merged[index];
            match reference {
                ArtifactRef::Tag(tag) => push.tags.push(tag.to_owned()),
                ArtifactRef::Digest(digest) => push.digests.push(digest.to_owned()),
                ArtifactRef::Invalid => {}
            }
        }
    }

    /// True when no repository was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.merged.is_empty()
    }

    /// The refresh of every repository added.
    pub(crate) fn into_outcome(self) -> Outcome {
        Outcome::Refresh(self.merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(pick: u8) -> ArtifactRef<'static> {
        const TAGS: [&str; 3] = ["v1", "v2", "latest"];
        const DIGESTS: [&str; 2] = ["sha256:aa", "sha256:bb"];
        match pick % 6 {
            n @ 0..=2 => ArtifactRef::Tag(TAGS[usize::from(n)]),
            n @ 3..=4 => ArtifactRef::Digest(DIGESTS[usize::from(n - 3)]),
            _ => ArtifactRef::Invalid,
        }
    }

    fn key(pick: u8) -> RepoKey {
        const REPOS: [&str; 4] = [
            "harbor.example.com/team/app",
            "Harbor.Example.com/team/app:v1",
            "harbor.example.com/team/other",
            "nginx",
        ];
        RepoKey::image(REPOS[usize::from(pick % 4)]).expect("valid")
    }

    proptest! {
        /// The linear merge gives exactly what the SDK's merge gives.
        #[test]
        fn merges_like_the_sdk(pushes in prop::collection::vec((any::<u8>(), prop::collection::vec(any::<u8>(), 0..4)), 0..12)) {
            let mut merged = MergedPushes::default();
            let mut naive = Vec::new();
            for (repo, refs) in &pushes {
                let references: Vec<_> = refs.iter().map(|r| reference(*r)).collect();
                merged.add(key(*repo), references.iter().copied());
                let mut push = PushedRepository::new(key(*repo));
                for reference in references {
                    match reference {
                        ArtifactRef::Tag(tag) => push.add_tag(tag),
                        ArtifactRef::Digest(digest) => push.add_digest(digest),
                        ArtifactRef::Invalid => {}
                    }
                }
                naive.push(push);
            }
            prop_assert_eq!(merged.is_empty(), pushes.is_empty());
            prop_assert_eq!(merged.into_outcome(), Outcome::refresh(naive));
        }
    }
}
