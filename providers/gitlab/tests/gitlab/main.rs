//! Behaviour of the GitLab provider as the gateway drives it: through both
//! steps of `Provider` (authenticate, then parse), with real `Credentials`
//! built from Secret data.

mod credentials;
mod fixtures;
mod malformed;
mod merge_requests;
mod never_panics;
mod pushes;
mod registration;
mod support;
