//! Behaviour of the GitHub provider as the gateway drives it: through both
//! steps of `Provider` (authenticate, then parse), with real `Credentials`
//! built from Secret data and bodies signed as GitHub signs them.

mod fixtures;
mod malformed;
mod never_panics;
mod packages;
mod pull_requests;
mod pushes;
mod registration;
mod signatures;
mod support;
