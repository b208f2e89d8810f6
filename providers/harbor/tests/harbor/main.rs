//! Behaviour of the Harbor provider as the gateway drives it: through
//! `Provider::handle`, with real `Credentials` built from Secret data.

mod credentials;
mod fixtures;
mod formats;
mod malformed;
mod never_panics;
mod pushes;
mod registration;
mod support;
