//! Receivers: from ProjectConfig and ClusterConfig entries plus their
//! Secrets to a table of live URLs, a status per object, and reports of
//! receivers that cannot work.

pub mod builder;
pub mod events;
pub mod publish;
pub mod resolve;
pub mod secret_watches;
pub mod sources;
pub mod status;
pub mod table;
pub mod url;

pub use resolve::Receiver;
pub use table::ReceiverTable;
pub use url::UrlLayout;
