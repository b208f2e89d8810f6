//! A package event: a container image (or OCI artifact such as a Helm
//! chart) pushed to the GitHub Container Registry, announced through the
//! source repository it is connected to.

use kargo_webhook_provider::{Outcome, ProviderError, PushedContent, RefreshBuilder, RepoKey};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::body::{INVALID_BODY, parse_body, parse_object};
use crate::event_type::PackageField;
use kargo_webhook_provider::json::{Text, non_empty};
use kargo_webhook_provider::{is_oci_digest, is_oci_tag};

/// Why a package event other than `published` or `updated` is acknowledged.
pub(crate) const NOT_PUBLISHED: &str = "only a published or updated package announces a new image";
/// Why a package of another ecosystem (npm, Maven, ...) is acknowledged.
pub(crate) const NOT_CONTAINER: &str = "only a container package announces a new image";
/// Why a package event without a version is acknowledged.
pub(crate) const NO_VERSION: &str = "a package event without a version names no image";

/// The envelope: the action, and the package under the field the event
/// type names. The package stays unparsed until the action says it matters.
#[derive(Debug, Deserialize)]
struct PackageEvent<'a> {
    #[serde(borrow, default)]
    action: Option<Text<'a>>,
    #[serde(borrow, default)]
    package: Option<&'a RawValue>,
    #[serde(borrow, default)]
    registry_package: Option<&'a RawValue>,
}

/// The package; its version's shape depends on the ecosystem, so it is
/// read only for a container package.
#[derive(Debug, Deserialize)]
struct Package<'a> {
    /// `CONTAINER` in `package` events, `container` or `docker` in others.
    #[serde(borrow, default)]
    package_type: Option<Text<'a>>,
    #[serde(borrow, default)]
    package_version: Option<&'a RawValue>,
}

#[derive(Debug, Deserialize)]
struct PackageVersion<'a> {
    /// `ghcr.io/<owner>/<image>:<tag>`, or with nothing after the `:` for
    /// an untagged version.
    #[serde(borrow, default)]
    package_url: Option<Text<'a>>,
    #[serde(borrow, default)]
    container_metadata: Option<ContainerMetadata<'a>>,
}

#[derive(Debug, Deserialize)]
struct ContainerMetadata<'a> {
    #[serde(borrow, default)]
    tag: Option<Tag<'a>>,
    #[serde(borrow, default)]
    manifest: Option<Manifest<'a>>,
}

#[derive(Debug, Deserialize)]
struct Tag<'a> {
    /// Empty for a version pushed by digest alone.
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    /// The manifest's digest.
    #[serde(borrow, default)]
    digest: Option<Text<'a>>,
}

#[derive(Debug, Deserialize)]
struct Manifest<'a> {
    #[serde(borrow, default)]
    config: Option<Config<'a>>,
}

#[derive(Debug, Deserialize)]
struct Config<'a> {
    /// Tells a Helm chart from an image.
    #[serde(borrow, default)]
    media_type: Option<Text<'a>>,
}

/// A published or updated container package names its image repository,
/// the tag (none for an untagged version) and digest, and whether it holds
/// an image or a chart. Other actions and ecosystems are acknowledged.
pub(crate) fn outcome(body: &[u8], field: PackageField) -> Result<Outcome, ProviderError> {
    let event: PackageEvent<'_> = parse_body(body)?;
    match non_empty(&event.action) {
        Some("published" | "updated") => {}
        Some(_) => return Ok(Outcome::Ignored(NOT_PUBLISHED)),
        None => return Err(INVALID_BODY),
    }
    let package = match field {
        PackageField::Package => event.package,
        PackageField::RegistryPackage => event.registry_package,
    };
    let package: Package<'_> = parse_object(package.ok_or(INVALID_BODY)?.get())?;
    if !non_empty(&package.package_type).is_some_and(is_container) {
        return Ok(Outcome::Ignored(NOT_CONTAINER));
    }
    let Some(version) = package.package_version.filter(|raw| raw.get() != "null") else {
        return Ok(Outcome::Ignored(NO_VERSION));
    };
    let version: PackageVersion<'_> = parse_object(version.get())?;
    image_push(&version)
}

/// GitHub spells the container type in upper case in some events and in
/// lower case in others; `docker` is the type of images from the former
/// Docker registry, now served by GHCR as well.
fn is_container(package_type: &str) -> bool {
    package_type.eq_ignore_ascii_case("container") || package_type.eq_ignore_ascii_case("docker")
}

fn image_push(version: &PackageVersion<'_>) -> Result<Outcome, ProviderError> {
    // GitHub sometimes ends the URL of an untagged version with a bare `:`.
    let url = non_empty(&version.package_url).ok_or(INVALID_BODY)?;
    let url = url.strip_suffix(':').unwrap_or(url);
    let repository = RepoKey::image(url).map_err(|_| INVALID_BODY)?;
    let metadata = version.container_metadata.as_ref();
    let tag = metadata.and_then(|m| m.tag.as_ref());
    let media_type = metadata
        .and_then(|m| m.manifest.as_ref())
        .and_then(|m| m.config.as_ref())
        .and_then(|c| non_empty(&c.media_type));

    let mut builder = RefreshBuilder::default();
    let mut entry = builder.repository(repository);
    if let Some(name) = tag
        .and_then(|t| non_empty(&t.name))
        .filter(|n| is_oci_tag(n))
    {
        entry.add_tag(name);
    }
    if let Some(digest) = tag
        .and_then(|t| non_empty(&t.digest))
        .filter(|d| is_oci_digest(d))
    {
        entry.add_digest(digest);
    }
    entry.add_content(PushedContent::of_media_type(media_type.unwrap_or_default()));
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_types_in_any_case() {
        for package_type in ["CONTAINER", "container", "Container", "docker", "DOCKER"] {
            assert!(is_container(package_type), "{package_type}");
        }
        for package_type in ["npm", "maven", "rubygems", "nuget", "containers", ""] {
            assert!(!is_container(package_type), "{package_type}");
        }
    }
}
