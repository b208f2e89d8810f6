//! Behaviour of the Harbor provider as the gateway drives it: through
//! both steps of `Provider` (authenticate, then parse), with real
//! `Credentials` built from Secret data.

mod credentials;
mod fixtures;
mod formats;
mod malformed;
mod never_panics;
mod pushes;
mod registration;
mod support;
