//! The log line formatter. Every delivery writes one line, so the line is
//! on the request path: `tracing-subscriber`'s own formatters measured
//! about a seventh of a delivery's CPU time (styling that is off, `Debug`
//! for every value, float formatting, a timestamp through `fmt`). This one
//! writes the same lines directly: the timestamp by integer arithmetic,
//! numbers with `itoa` and `ryu`, strings copied unless they need escaping.
//!
//! It covers the events the gateway writes: outside any span, from
//! `tracing` (not the `log` crate), to a writer without colours. Anything
//! else (a dependency's span at `debug`, a person at a terminal) goes to
//! the stock formatter, which prints the same fields in the same places.

use std::fmt::{self, Write};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::timestamp::Timestamp;

/// Which kind of line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `2026-11-30T16:02:10.123456Z  INFO delivery receiver="..." status=200`
    Text,
    /// `{"timestamp":"...","level":"INFO","message":"delivery",...}`
    Json,
}

/// The gateway's event formatter, with the stock one for what it does not
/// cover.
#[derive(Debug)]
pub struct Lines<F> {
    style: Style,
    fallback: F,
}

impl<F> Lines<F> {
    /// Lines of `style`; `fallback` formats events inside spans, events
    /// from the `log` crate and lines with colours.
    pub fn new(style: Style, fallback: F) -> Self {
        Self { style, fallback }
    }
}

impl<S, N, F> FormatEvent<S, N> for Lines<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        context: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if writer.has_ansi_escapes() || context.event_scope().is_some() || from_log(event) {
            return self.fallback.format_event(context, writer, event);
        }
        write_line(self.style, Timestamp::now(), event, &mut writer)
    }
}

/// Whether the event was bridged from the `log` crate (its metadata are
/// in fields the stock formatter knows how to fold back).
fn from_log(event: &Event<'_>) -> bool {
    event.metadata().fields().field("log.target").is_some()
}

/// Writes one line, newline included.
fn write_line(
    style: Style,
    time: Timestamp,
    event: &Event<'_>,
    out: &mut impl Write,
) -> fmt::Result {
    let level = *event.metadata().level();
    match style {
        Style::Text => {
            out.write_str(time.as_str())?;
            out.write_str(text_level(level))?;
            let mut fields = TextFields {
                out: &mut *out,
                first: true,
                result: Ok(()),
            };
            event.record(&mut fields);
            fields.result?;
            out.write_char('\n')
        }
        Style::Json => {
            out.write_str("{\"timestamp\":\"")?;
            out.write_str(time.as_str())?;
            out.write_str("\",\"level\":\"")?;
            out.write_str(level.as_str())?;
            out.write_char('"')?;
            let mut fields = JsonFields {
                out: &mut *out,
                result: Ok(()),
            };
            event.record(&mut fields);
            fields.result?;
            out.write_str("}\n")
        }
    }
}

/// The level between the timestamp and the message, right-aligned in
/// five columns as the stock text formatter has it.
fn text_level(level: Level) -> &'static str {
    match level {
        Level::ERROR => " ERROR ",
        Level::WARN => "  WARN ",
        Level::INFO => "  INFO ",
        Level::DEBUG => " DEBUG ",
        Level::TRACE => " TRACE ",
    }
}

/// A field's name as written (`r#type` is `type`).
fn name(field: &Field) -> &'static str {
    let name = field.name();
    name.strip_prefix("r#").unwrap_or(name)
}

/// Text fields: the message as it is, then `name=value` with strings
/// quoted, separated by spaces.
struct TextFields<'w, W> {
    out: &'w mut W,
    first: bool,
    result: fmt::Result,
}

impl<W: Write> TextFields<'_, W> {
    /// Starts a field: the separator and, unless it is the message, the
    /// name. Returns whether the value should be written.
    fn start(&mut self, field: &Field) -> bool {
        if self.result.is_err() || field.name().starts_with("log.") {
            return false;
        }
        if !std::mem::take(&mut self.first) {
            self.result = self.out.write_char(' ');
        }
        if field.name() != "message" && self.result.is_ok() {
            self.result = self
                .out
                .write_str(name(field))
                .and_then(|()| self.out.write_char('='));
        }
        self.result.is_ok()
    }
}

impl<W: Write> Visit for TextFields<'_, W> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if !self.start(field) {
            return;
        }
        self.result = if field.name() == "message" {
            Sanitized(&mut *self.out).write_str(value)
        } else if value
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
        {
            write_all(&mut *self.out, &["\"", value, "\""])
        } else {
            // Quotes, backslashes, control and non-ASCII characters are
            // escaped as Rust's `Debug` does (as the stock formatter does).
            write!(self.out, "{value:?}")
        };
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.start(field) {
            self.result = self.out.write_str(itoa::Buffer::new().format(value));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.start(field) {
            self.result = self.out.write_str(itoa::Buffer::new().format(value));
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.start(field) {
            self.result = self.out.write_str(if value { "true" } else { "false" });
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if self.start(field) {
            self.result = if value.is_finite() {
                self.out.write_str(ryu::Buffer::new().format_finite(value))
            } else {
                write!(self.out, "{value:?}")
            };
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if !self.start(field) {
            return;
        }
        let mut out = Sanitized(&mut *self.out);
        self.result = write!(out, "{value}");
        if let Some(source) = value.source()
            && self.result.is_ok()
        {
            self.result = write!(out, " {}.sources=[{}]", name(field), Sources(source));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.start(field) {
            self.result = write!(Sanitized(&mut *self.out), "{value:?}");
        }
    }
}

/// JSON fields: `,"name":value` each, strings escaped.
struct JsonFields<'w, W> {
    out: &'w mut W,
    result: fmt::Result,
}

impl<W: Write> JsonFields<'_, W> {
    /// Starts a field with its key. Returns whether the value should be
    /// written.
    fn start(&mut self, field: &Field) -> bool {
        if self.result.is_err() || field.name().starts_with("log.") {
            return false;
        }
        self.result = write_all(&mut *self.out, &[",\"", name(field), "\":"]);
        self.result.is_ok()
    }

    /// Writes a string value from its `Display`.
    fn string(&mut self, value: fmt::Arguments<'_>) {
        self.result = self
            .out
            .write_char('"')
            .and_then(|()| JsonEscaped(&mut *self.out).write_fmt(value))
            .and_then(|()| self.out.write_char('"'));
    }

    /// Writes a string value as it is, without the formatting machinery
    /// (most fields of a delivery line are plain strings).
    fn str(&mut self, value: &str) {
        self.result = self
            .out
            .write_char('"')
            .and_then(|()| JsonEscaped(&mut *self.out).write_str(value))
            .and_then(|()| self.out.write_char('"'));
    }
}

impl<W: Write> Visit for JsonFields<'_, W> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.start(field) {
            self.str(value);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.start(field) {
            self.result = self.out.write_str(itoa::Buffer::new().format(value));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.start(field) {
            self.result = self.out.write_str(itoa::Buffer::new().format(value));
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.start(field) {
            self.result = self.out.write_str(if value { "true" } else { "false" });
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if self.start(field) {
            // JSON has no NaN or infinity.
            self.result = if value.is_finite() {
                self.out.write_str(ryu::Buffer::new().format_finite(value))
            } else {
                self.out.write_str("null")
            };
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if self.start(field) {
            self.string(format_args!("{value}"));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.start(field) {
            self.string(format_args!("{value:?}"));
        }
    }
}

fn write_all(out: &mut impl Write, parts: &[&str]) -> fmt::Result {
    parts.iter().try_for_each(|part| out.write_str(part))
}

/// An error's sources, as the stock formatter lists them.
struct Sources<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for Sources<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut next = Some(self.0);
        let mut first = true;
        while let Some(error) = next {
            if !std::mem::take(&mut first) {
                f.write_str(", ")?;
            }
            write!(f, "{error}")?;
            next = error.source();
        }
        Ok(())
    }
}

/// Passes text through with control characters escaped, so that no value
/// can end a line early or reach a terminal as a control sequence.
struct Sanitized<'w, W>(&'w mut W);

impl<W: Write> Write for Sanitized<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        // 0xC2 leads the two-byte forms of U+0080..U+00BF, among them the
        // C1 controls: those strings take the careful path.
        if !text.bytes().any(|b| b < b' ' || b == 0x7f || b == 0xc2) {
            return self.0.write_str(text);
        }
        for c in text.chars() {
            if c.is_control() {
                write!(self.0, "{}", c.escape_default())?;
            } else {
                self.0.write_char(c)?;
            }
        }
        Ok(())
    }
}

/// Passes text through as the inside of a JSON string.
struct JsonEscaped<'w, W>(&'w mut W);

impl<W: Write> Write for JsonEscaped<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if !text.bytes().any(|b| b < b' ' || b == b'"' || b == b'\\') {
            return self.0.write_str(text);
        }
        for c in text.chars() {
            match c {
                '"' => self.0.write_str("\\\"")?,
                '\\' => self.0.write_str("\\\\")?,
                '\n' => self.0.write_str("\\n")?,
                '\r' => self.0.write_str("\\r")?,
                '\t' => self.0.write_str("\\t")?,
                c if c < ' ' => write!(self.0, "\\u{:04x}", u32::from(c))?,
                c => self.0.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    /// Captures what a subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Self;
        fn make_writer(&'a self) -> Self {
            self.clone()
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().expect("lock").clone()).expect("UTF-8")
        }
    }

    /// What `log` writes through the gateway's formatter in `style`, with
    /// the timestamp replaced by `<time>`.
    fn formatted(style: Style, log: impl FnOnce()) -> String {
        let captured = Captured::default();
        let base = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_ansi(false)
            .with_max_level(Level::TRACE);
        match style {
            Style::Text => {
                let fallback = tracing_subscriber::fmt::format().with_target(false);
                let subscriber = base.event_format(Lines::new(style, fallback)).finish();
                tracing::subscriber::with_default(subscriber, log);
            }
            Style::Json => {
                let fallback = tracing_subscriber::fmt::format()
                    .json()
                    .flatten_event(true)
                    .with_target(false);
                let subscriber = base
                    .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
                    .event_format(Lines::new(style, fallback))
                    .finish();
                tracing::subscriber::with_default(subscriber, log);
            }
        }
        captured
            .text()
            .lines()
            .map(|line| mask_time(line, style))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn mask_time(line: &str, style: Style) -> String {
        let start = match style {
            Style::Text => 0,
            Style::Json => "{\"timestamp\":\"".len(),
        };
        let stamp = line.get(start..start + 27).unwrap_or_default();
        assert!(
            stamp.ends_with('Z') && stamp.as_bytes().get(10) == Some(&b'T'),
            "no timestamp in {line}"
        );
        format!("{}<time>{}", &line[..start], &line[start + 27..])
    }

    #[derive(Debug, thiserror::Error)]
    #[error("patch refused")]
    struct Refused(#[source] Cause);

    #[derive(Debug, thiserror::Error)]
    #[error("conflict")]
    struct Cause;

    fn delivery_line() {
        tracing::info!(
            receiver = "team-a/ProjectConfig:team-a#harbor",
            provider = "harbor",
            status = 200u16,
            millis = 0.25,
            refreshed = 2usize,
            gone = -1i64,
            named = true,
            warehouses = %"a/w1,b/w2",
            "delivery"
        );
    }

    #[test]
    fn a_delivery_line_in_text() {
        assert_eq!(
            formatted(Style::Text, delivery_line),
            "<time>  INFO delivery receiver=\"team-a/ProjectConfig:team-a#harbor\" provider=\"harbor\" \
             status=200 millis=0.25 refreshed=2 gone=-1 named=true warehouses=a/w1,b/w2"
        );
    }

    #[test]
    fn a_delivery_line_in_json() {
        let line = formatted(Style::Json, delivery_line);
        assert_eq!(
            line,
            "{\"timestamp\":\"<time>\",\"level\":\"INFO\",\"message\":\"delivery\",\
             \"receiver\":\"team-a/ProjectConfig:team-a#harbor\",\"provider\":\"harbor\",\
             \"status\":200,\"millis\":0.25,\"refreshed\":2,\"gone\":-1,\"named\":true,\
             \"warehouses\":\"a/w1,b/w2\"}"
        );
    }

    #[test]
    fn lines_match_the_stock_formatters_outside_spans() {
        // Inside a span the stock formatter writes the line: the same event
        // there and here must differ only by the span's prefix.
        for style in [Style::Text, Style::Json] {
            let ours = formatted(style, delivery_line);
            let stock = formatted(style, || {
                tracing::info_span!("outer").in_scope(delivery_line);
            });
            match style {
                Style::Text => assert_eq!(stock.replacen("outer: ", "", 1), ours),
                Style::Json => {
                    let parse = |line: &str| {
                        let mut value: serde_json::Value =
                            serde_json::from_str(line).expect("a JSON line");
                        let object = value.as_object_mut().expect("an object");
                        object.remove("span");
                        object.remove("spans");
                        value
                    };
                    assert_eq!(parse(&stock), parse(&ours));
                }
            }
        }
    }

    #[test]
    fn every_level_has_its_column() {
        let text = formatted(Style::Text, || {
            tracing::error!("e");
            tracing::warn!("w");
            tracing::info!("i");
            tracing::debug!("d");
            tracing::trace!("t");
        });
        assert_eq!(
            text,
            "<time> ERROR e\n<time>  WARN w\n<time>  INFO i\n<time> DEBUG d\n<time> TRACE t"
        );
        let json = formatted(Style::Json, || tracing::warn!("w"));
        assert_eq!(
            json,
            "{\"timestamp\":\"<time>\",\"level\":\"WARN\",\"message\":\"w\"}"
        );
    }

    #[test]
    fn strings_that_could_break_a_line_are_escaped() {
        let hostile = "line\nbreak \"quoted\" \\ \u{1b}[31mred\u{85}";
        let text = formatted(Style::Text, || {
            tracing::warn!(value = hostile, shown = %hostile, "message {hostile}");
        });
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{85}'),
            "{text}"
        );
        assert!(
            text.contains(r#"value="line\nbreak \"quoted\" \\ \u{1b}[31mred\u{85}""#),
            "{text}"
        );
        let json = formatted(Style::Json, || {
            tracing::warn!(value = hostile, shown = %hostile, "message {hostile}");
        });
        assert_eq!(json.lines().count(), 1, "{json}");
        let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(value["value"], hostile);
        assert_eq!(value["shown"], hostile);
        assert_eq!(value["message"], format!("message {hostile}"));
    }

    #[test]
    fn numbers_errors_and_odd_names() {
        let error = Refused(Cause);
        let text = formatted(Style::Text, || {
            tracing::warn!(
                r#type = "x",
                ratio = f64::NAN,
                error = &error as &(dyn std::error::Error + 'static),
                "odd"
            );
        });
        assert_eq!(
            text,
            "<time>  WARN odd type=\"x\" ratio=NaN error=patch refused error.sources=[conflict]"
        );
        let json = formatted(Style::Json, || {
            tracing::warn!(
                r#type = "x",
                ratio = f64::INFINITY,
                error = &error as &(dyn std::error::Error + 'static),
                "odd"
            );
        });
        let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(value["type"], "x");
        assert_eq!(value["ratio"], serde_json::Value::Null);
        assert_eq!(value["error"], "patch refused");
    }
}
