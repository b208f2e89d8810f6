//! Behaviour of the Bitbucket provider as the gateway drives it: through
//! both steps of `Provider` (authenticate, then parse, with the body
//! signature checked in between), with real `Credentials` built from Secret
//! data.

mod cloud;
mod fixtures;
mod malformed;
mod never_panics;
mod registration;
mod server;
mod signatures;
mod support;
