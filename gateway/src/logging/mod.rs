//! Structured logs through `tracing`, as text or JSON lines on stderr.
//!
//! Nothing the gateway logs carries a secret value, a receiver token or a
//! receiver path: receivers are named `namespace/owner#receiver`.

mod line;
mod timestamp;

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{self, JsonFields};

use crate::config::LogFormat;
use line::{Lines, Style};

/// Installs the global subscriber.
pub fn init(format: LogFormat, level: &str) -> Result<(), String> {
    let filter =
        EnvFilter::try_new(level).map_err(|e| format!("invalid --log-level {level:?}: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal: in a Pod's log they
        // are noise.
        .with_ansi(std::io::stderr().is_terminal());
    let result = match format {
        LogFormat::Text => {
            let stock = format::format().with_target(false);
            builder
                .event_format(Lines::new(Style::Text, stock))
                .try_init()
        }
        LogFormat::Json => {
            let stock = format::format()
                .json()
                .flatten_event(true)
                .with_target(false);
            builder
                .fmt_fields(JsonFields::new())
                .event_format(Lines::new(Style::Json, stock))
                .try_init()
        }
    };
    result.map_err(|e| format!("cannot install the logger: {e}"))
}
