//! A push event's data: the repositories it names and what was pushed.

use std::fmt;

use kargo_webhook_provider::{Outcome, RefreshBuilder, RepoKey};
use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::artifact_ref::ArtifactRef;
use kargo_webhook_provider::json::Text;

/// `event_data` (Default) or `data` (CloudEvents) of a push. Harbor sends
/// more (`repository`, ...), which is skipped.
#[derive(Debug, Deserialize)]
pub(crate) struct PushData<'a> {
    #[serde(borrow, default)]
    resources: Option<Vec<Resource<'a>>>,
}

/// One pushed artifact.
#[derive(Debug, Deserialize)]
struct Resource<'a> {
    #[serde(borrow, default)]
    digest: Option<Text<'a>>,
    /// The artifact's first tag, or its digest when it was pushed by digest.
    #[serde(borrow, default)]
    tag: Option<Text<'a>>,
    /// `host[:port]/project/repo(:tag|@digest)`, no scheme.
    #[serde(borrow, default)]
    resource_url: Option<Text<'a>>,
}

/// Why a push without resources is acknowledged: Harbor writes `resources`
/// with `omitempty`, so an empty list arrives as no list at all, and a 4xx
/// would only make Harbor send it three times.
const NO_RESOURCES: &str = "a push without resources announces no new artifact";

/// The repositories a push names, merged per repository; `None` when the
/// data is missing, not a push's shape, or names no usable repository.
///
/// Every resource counts, not only the first. A resource without a usable
/// `resource_url` is skipped as long as another one is usable. A push whose
/// data has no resources (absent, `null` or empty) is ignored.
pub(crate) fn pushed_repositories(data: Option<&RawValue>) -> Option<Outcome> {
    let data = data?.get();
    // serde would also build the struct from an array (fields by position).
    if !data.starts_with('{') {
        return None;
    }
    let data: PushData<'_> = serde_json::from_str(data).ok()?;
    outcome(data)
}

/// A push's data read with the rest of the body: the same as
/// [`pushed_repositories`] of the same data, unparsed.
pub(crate) fn read_with_body(data: Option<PushObject<'_>>) -> Option<Outcome> {
    outcome(data?.0)
}

/// [`PushData`] read from a JSON object only: what [`pushed_repositories`]
/// accepts, in the envelope's own pass. Any other shape fails the whole
/// pass, and the body is read again the unparsed way.
#[derive(Debug)]
pub(crate) struct PushObject<'a>(PushData<'a>);

impl<'de> Deserialize<'de> for PushObject<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjectOnly)
    }
}

struct ObjectOnly;

impl<'de> Visitor<'de> for ObjectOnly {
    type Value = PushObject<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a push's data object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        PushData::deserialize(MapAccessDeserializer::new(map)).map(PushObject)
    }
}

fn outcome(data: PushData<'_>) -> Option<Outcome> {
    let resources = data.resources.unwrap_or_default();
    if resources.is_empty() {
        return Some(Outcome::Ignored(NO_RESOURCES));
    }
    let mut pushes = RefreshBuilder::default();
    for resource in &resources {
        let Some(repository) = resource.repository() else {
            continue;
        };
        let mut entry = pushes.repository(repository);
        // A digest-only push (a multi-arch child, `docker push repo@sha256:...`)
        // puts the digest into `tag`: `ArtifactRef` reports it as a digest.
        // References that are neither are left out; the repository counts.
        let references = [resource.tag.as_deref(), resource.digest.as_deref()];
        for reference in references.into_iter().flatten().map(ArtifactRef::of) {
            match reference {
                ArtifactRef::Tag(tag) => entry.add_tag(tag),
                ArtifactRef::Digest(digest) => entry.add_digest(digest),
                ArtifactRef::Invalid => {}
            }
        }
    }
    (!pushes.is_empty()).then(|| pushes.build())
}

impl Resource<'_> {
    /// The repository of `resource_url`, if it names one.
    fn repository(&self) -> Option<RepoKey> {
        RepoKey::image(self.resource_url.as_deref()?).ok()
    }
}
