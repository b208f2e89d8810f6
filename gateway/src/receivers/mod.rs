//! Receivers: from ProjectConfig and ClusterConfig entries plus their
//! Secrets to a table of live URLs and a status per object.

pub mod builder;
pub mod publish;
pub mod resolve;
pub mod sources;
pub mod status;
pub mod table;
pub mod token;

pub use resolve::{Owner, Receiver, ReceiverProblem, WarehouseScope};
pub use table::{ReceiverTable, UrlLayout};
pub use token::{Scope, Token};
