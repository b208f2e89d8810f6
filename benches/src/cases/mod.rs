//! The benchmark cases; each returns the tables it measured.

pub mod burst;
pub mod http_path;
pub mod index_scale;
pub mod lookup;
pub mod projects_scale;
pub mod refresh_path;
