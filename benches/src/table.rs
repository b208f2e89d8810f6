//! The report: Markdown tables on standard output, ready to paste into
//! docs/benchmarks.md.

use std::io::Write;

/// One table of results.
#[derive(Debug)]
pub struct Table {
    title: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    notes: Vec<String>,
}

impl Table {
    /// An empty table with a title and column headers.
    pub fn new(title: &str, headers: &[&str]) -> Self {
        Self {
            title: title.to_owned(),
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds a row; missing cells are left empty.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Adds a line printed under the table.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// The table as Markdown.
    pub fn render(&self) -> String {
        let mut out = format!("### {}\n\n", self.title);
        out.push_str(&format!("| {} |\n", self.headers.join(" | ")));
        out.push_str(&format!("|{}\n", " --- |".repeat(self.headers.len())));
        for row in &self.rows {
            let mut cells = row.clone();
            cells.resize(self.headers.len(), String::new());
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for note in &self.notes {
                out.push_str(&format!("{note}\n"));
            }
        }
        out
    }

    /// Prints the table on standard output.
    pub fn print(&self) {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{}", self.render());
        let _ = stdout.flush();
    }
}

/// `value` with `digits` decimals.
pub fn fixed(value: f64, digits: usize) -> String {
    format!("{value:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown_with_padded_rows() {
        let mut table = Table::new("T", &["a", "b"]);
        table.row(vec!["1".into()]);
        table.note("n");
        assert_eq!(
            table.render(),
            "### T\n\n| a | b |\n| --- | --- |\n| 1 |  |\n\nn\n"
        );
    }
}
