//! Behaviour of the Azure provider as the gateway drives it: through both
//! steps of `Provider` (authenticate, then parse), with real `Credentials`
//! built from Secret data.

mod acr;
mod devops;
mod fixtures;
mod malformed;
mod never_panics;
mod registration;
mod senders;
mod support;
