//! Markdown tables on stdout (pasted as they are into BENCHMARKS.md), and the list of
//! targets met or missed.

pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn print(&self) {
        let line = |cells: &[String]| println!("| {} |", cells.join(" | "));
        line(&self.header);
        println!(
            "|{}|",
            self.header
                .iter()
                .map(|_| "---")
                .collect::<Vec<_>>()
                .join("|")
        );
        for row in &self.rows {
            line(row);
        }
        println!();
    }
}

/// The targets of issue 5, each met or not, printed at the end.
#[derive(Default)]
pub struct Verdicts(Vec<(bool, String)>);

impl Verdicts {
    pub fn check(&mut self, met: bool, text: String) {
        self.0.push((met, text));
    }

    pub fn print(&self) {
        println!("## Targets\n");
        for (met, text) in &self.0 {
            println!("- {} {text}", if *met { "MET " } else { "MISSED" });
        }
        println!();
    }
}
