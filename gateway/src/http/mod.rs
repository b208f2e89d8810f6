//! The two HTTP servers: webhooks on one port, operations on another.

pub mod admin;
pub mod answer;
pub mod body;
pub mod body_budget;
pub mod idle_watch;
pub mod route;
pub mod server;
pub mod tls;
pub mod webhook;
