//! Behaviour of the Artifactory provider as the gateway drives it: through
//! both steps of `Provider` (authenticate, then the body's signature and
//! parse), with real `Credentials` built from Secret data and receiver
//! options checked as the gateway checks them.

mod fixtures;
mod malformed;
mod never_panics;
mod options;
mod pushes;
mod registration;
mod signatures;
mod support;
