//! What a selection rule decided about a push, and why, in words that name
//! the rule and the values. The server only asks whether; the dry run and
//! the debug log print the why. Both come from the same judgement, so they
//! cannot disagree. Everything here borrows: judging allocates nothing.

use std::fmt;

use kargo_webhook_provider::PushedContent;

use super::SubscriptionKind;
use super::tag_filter::FilteredOut;

/// One subscription's decision on one push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision<'a> {
    /// Whether the push refreshes the subscriber.
    pub refresh: bool,
    why: Why<'a>,
}

impl<'a> Decision<'a> {
    pub(super) fn accept(why: Why<'a>) -> Self {
        Self { refresh: true, why }
    }

    pub(super) fn reject(why: Why<'a>) -> Self {
        Self {
            refresh: false,
            why,
        }
    }

    /// The pushed tag or ref the decision turned on: the one accepted, or
    /// the first one rejected; `None` when no tag or ref decided (a push
    /// naming none, digests only, the other kind of content, a rule that
    /// cannot be built).
    pub fn subject(&self) -> Option<Subject<'a>> {
        match self.why {
            Why::Tag { tag, .. } => Some(Subject::Tag(tag)),
            Why::Ref { git_ref, .. } | Why::NoPathPasses { git_ref, .. } => {
                Some(Subject::Ref(git_ref))
            }
            Why::NamesNothing | Why::DigestOnly | Why::OtherContent { .. } | Why::FailOpen(_) => {
                None
            }
        }
    }
}

/// A pushed tag or Git ref, as a decision names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    /// A registry tag, e.g. `1.27.1`.
    Tag(&'a str),
    /// A Git ref, e.g. `refs/heads/main`.
    Ref(&'a str),
}

/// `tag 1.27.1`, `ref refs/heads/main`.
impl fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tag(tag) => write!(f, "tag {tag}"),
            Self::Ref(git_ref) => write!(f, "ref {git_ref}"),
        }
    }
}

/// The rule that decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Why<'a> {
    /// The push names no tag and no ref: every subscriber refreshes.
    NamesNothing,
    /// The push names digests only: no tag moved.
    DigestOnly,
    /// A chart push to an image subscription, or the reverse.
    OtherContent {
        pushed: PushedContent,
        subscribed: SubscriptionKind,
    },
    /// The subscription's rule could not be built: every push refreshes it.
    FailOpen(&'a str),
    /// A registry push judged by its tags.
    Tag {
        tag: &'a str,
        verdict: Result<TagAccepted<'a>, TagRejected<'a>>,
        /// For a rejection, how many more tags were rejected.
        more: usize,
    },
    /// A Git push judged by its refs.
    Ref {
        git_ref: &'a str,
        verdict: Result<RefAccepted<'a>, RefRejected<'a>>,
        more: usize,
        /// For an accepted ref, what the path filters said.
        paths: Paths<'a>,
    },
    /// A ref was accepted but no changed file passes the path filters.
    NoPathPasses { git_ref: &'a str, files: usize },
}

/// Why a tag is one the subscription could discover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TagAccepted<'a> {
    /// Image `SemVer` (or a Git tag strategy with SemVer).
    SemVer {
        strategy: &'static str,
        allowed_by: Option<&'a str>,
        constraint: Option<&'a str>,
    },
    /// `Lexical`, `NewestBuild`, `NewestTag`: the filters let it through.
    Filtered {
        strategy: &'a str,
        allowed_by: Option<&'a str>,
    },
    /// `Digest`: the tracked tag.
    Tracked,
    /// A chart version.
    Chart { constraint: Option<&'a str> },
}

/// Why a tag is not one the subscription could discover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TagRejected<'a> {
    /// Left out by the allow/ignore lists.
    Filtered(FilteredOut<'a>),
    /// Not a semantic version (strictly, when `strict`).
    NotSemVer { strict: bool },
    /// A prerelease, and the constraint names none.
    Prerelease { constraint: &'a str },
    /// Outside the constraint.
    Constraint { constraint: &'a str },
    /// `Digest` tracks another tag.
    NotTracked { tracked: &'a str },
}

/// Why a Git ref is one the subscription follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RefAccepted<'a> {
    /// `NewestFromBranch`: the subscribed branch (`None`: main or master).
    Branch { branch: Option<&'a str> },
    /// A tag strategy accepted the tag.
    Tag(TagAccepted<'a>),
}

/// Why a Git ref is not one the subscription follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RefRejected<'a> {
    /// `NewestFromBranch` and the ref is no branch.
    NotABranch,
    /// Another branch than the subscribed one (`None`: main or master).
    OtherBranch { branch: Option<&'a str> },
    /// A tag strategy and the ref is no tag.
    NotATag { strategy: &'a str },
    /// A tag strategy rejected the tag.
    Tag(TagRejected<'a>),
}

/// What the path filters said of an accepted Git ref.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Paths<'a> {
    /// The subscription has no path filters.
    Unfiltered,
    /// The push does not list its changed files (completely): not checked.
    Unknown,
    /// This changed file passes the filters.
    Passes(&'a str),
}

impl fmt::Display for Decision<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.why, f)
    }
}

impl fmt::Display for Why<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NamesNothing => {
                f.write_str("the push names no tag or ref; every subscriber refreshes")
            }
            Self::DigestOnly => f.write_str(
                "the push names digests only (no tag moved); the tagged push that follows refreshes",
            ),
            Self::OtherContent { pushed, subscribed } => {
                let pushed = match pushed {
                    PushedContent::Chart => "a Helm chart",
                    PushedContent::Image => "a container image",
                    PushedContent::Either => "an artifact",
                };
                write!(f, "the push is {pushed}; this is {subscribed} subscription")
            }
            Self::FailOpen(error) => write!(
                f,
                "the subscription's rule cannot be built ({error}); every push refreshes it"
            ),
            Self::Tag { tag, verdict, more } => {
                match verdict {
                    Ok(accepted) => write_accepted(f, accepted, tag)?,
                    Err(rejected) => write_rejected(f, rejected, "tag", tag)?,
                }
                write_more(f, *more, "tag")
            }
            Self::Ref {
                git_ref,
                verdict,
                more,
                paths,
            } => {
                match verdict {
                    Ok(RefAccepted::Branch { branch: Some(b) }) => {
                        write!(f, "NewestFromBranch; {git_ref} is branch {b}")?;
                    }
                    Ok(RefAccepted::Branch { branch: None }) => write!(
                        f,
                        "NewestFromBranch; {git_ref} is main or master (no branch set)"
                    )?,
                    Ok(RefAccepted::Tag(accepted)) => {
                        let tag = git_ref.strip_prefix("refs/tags/").unwrap_or(git_ref);
                        write_accepted(f, accepted, tag)?;
                    }
                    Err(rejected) => write_ref_rejected(f, rejected, git_ref)?,
                }
                write_more(f, *more, "ref")?;
                match paths {
                    Paths::Unfiltered => Ok(()),
                    Paths::Unknown => {
                        f.write_str("; changed files not listed in full, paths not checked")
                    }
                    Paths::Passes(file) => write!(f, "; changed file {file} passes the path filters"),
                }
            }
            Self::NoPathPasses { git_ref, files } => write!(
                f,
                "{git_ref} is followed, but none of the {files} changed file(s) passes includePaths/excludePaths"
            ),
        }
    }
}

fn write_accepted(
    f: &mut fmt::Formatter<'_>,
    accepted: &TagAccepted<'_>,
    tag: &str,
) -> fmt::Result {
    match accepted {
        TagAccepted::SemVer {
            strategy,
            allowed_by,
            constraint,
        } => {
            write!(f, "{strategy}; ")?;
            if let Some(regex) = allowed_by {
                write!(f, "allowTagsRegexes {regex} matches {tag}, ")?;
            }
            match constraint {
                Some(constraint) => write!(f, "{tag} satisfies constraint {constraint}"),
                None => write!(f, "{tag} is a semantic version (no constraint)"),
            }
        }
        TagAccepted::Filtered {
            strategy,
            allowed_by: Some(regex),
        } => write!(f, "{strategy}; allowTagsRegexes {regex} matches {tag}"),
        TagAccepted::Filtered {
            strategy,
            allowed_by: None,
        } => write!(f, "{strategy}; {tag} is not ignored (no allowTagsRegexes)"),
        TagAccepted::Tracked => write!(f, "Digest; {tag} is the tag it tracks"),
        TagAccepted::Chart {
            constraint: Some(constraint),
        } => write!(
            f,
            "chart; version {tag} satisfies semverConstraint {constraint}"
        ),
        TagAccepted::Chart { constraint: None } => {
            write!(
                f,
                "chart; {tag} is a semantic version (no semverConstraint)"
            )
        }
    }
}

fn write_rejected(
    f: &mut fmt::Formatter<'_>,
    rejected: &TagRejected<'_>,
    what: &str,
    tag: &str,
) -> fmt::Result {
    match rejected {
        TagRejected::Filtered(FilteredOut::IgnoredTag(_)) => {
            write!(f, "{what} {tag} is listed in ignoreTags")
        }
        TagRejected::Filtered(FilteredOut::IgnoredBy(regex)) => {
            write!(f, "{what} {tag} matches ignoreTagsRegexes {regex}")
        }
        TagRejected::Filtered(FilteredOut::NotAllowed) => {
            write!(f, "{what} {tag} matches none of allowTagsRegexes")
        }
        TagRejected::NotSemVer { strict: true } => write!(
            f,
            "{what} {tag} is not a semantic version (strictSemvers: X.Y.Z with an optional v)"
        ),
        TagRejected::NotSemVer { strict: false } => {
            write!(f, "{what} {tag} is not a semantic version")
        }
        TagRejected::Prerelease { constraint } => write!(
            f,
            "{what} {tag} is a prerelease; constraint {constraint} admits none"
        ),
        TagRejected::Constraint { constraint } => {
            write!(f, "{what} {tag} does not satisfy constraint {constraint}")
        }
        TagRejected::NotTracked { tracked } => {
            write!(f, "Digest tracks tag {tracked}, not {tag}")
        }
    }
}

fn write_ref_rejected(
    f: &mut fmt::Formatter<'_>,
    rejected: &RefRejected<'_>,
    git_ref: &str,
) -> fmt::Result {
    match rejected {
        RefRejected::NotABranch => {
            write!(
                f,
                "{git_ref} is not a branch; NewestFromBranch follows a branch"
            )
        }
        RefRejected::OtherBranch { branch: Some(b) } => {
            write!(f, "{git_ref} is not branch {b}")
        }
        RefRejected::OtherBranch { branch: None } => write!(
            f,
            "{git_ref} is neither main nor master (no branch set, so the default branch is assumed)"
        ),
        RefRejected::NotATag { strategy } => {
            write!(f, "{git_ref} is not a tag; {strategy} follows tags")
        }
        RefRejected::Tag(rejected) => write_rejected(f, rejected, "ref", git_ref),
    }
}

fn write_more(f: &mut fmt::Formatter<'_>, more: usize, what: &str) -> fmt::Result {
    if more > 0 {
        write!(f, " (and {more} more {what}(s) rejected)")?;
    }
    Ok(())
}
