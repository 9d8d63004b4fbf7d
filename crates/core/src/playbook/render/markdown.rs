//! The document as GitHub-flavoured Markdown: headings, pipe tables, nested lists with fenced
//! commands, and alerts as block quotes. Text is escaped so that a value can never turn into
//! markup (or break a table).

use super::document::{Block, Item, Section};

pub fn write(root: &Section) -> String {
    let mut out = String::new();
    section(root, &mut out);
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

fn section(section: &Section, out: &mut String) {
    let hashes = "#".repeat(usize::from(section.level.clamp(1, 6)));
    out.push_str(&format!("{hashes} {}\n\n", inline(&section.title)));
    for block in &section.blocks {
        match block {
            Block::Paragraph(text) => out.push_str(&format!("{}\n\n", inline(text))),
            Block::Table { headers, rows } => table(headers, rows, out),
            Block::List { ordered, items } => {
                list(*ordered, items, "", out);
                out.push('\n');
            }
            Block::Alert { label, text } => {
                out.push_str(&format!("> **{}**: {}\n\n", inline(label), inline(text)))
            }
        }
    }
    for child in &section.sections {
        self::section(child, out);
    }
}

fn table(headers: &[String], rows: &[Vec<String>], out: &mut String) {
    let line = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&line(headers));
    out.push_str(&format!(
        "|{}\n",
        headers.iter().map(|_| " --- |").collect::<String>()
    ));
    for row in rows {
        out.push_str(&line(row));
    }
    out.push('\n');
}

fn list(ordered: bool, items: &[Item], indent: &str, out: &mut String) {
    for (index, item) in items.iter().enumerate() {
        let marker = if ordered {
            format!("{}. ", index + 1)
        } else {
            "- ".to_string()
        };
        out.push_str(&format!("{indent}{marker}{}\n", inline(&item.text)));
        let inner = format!("{indent}{}", " ".repeat(marker.len()));
        if let Some(command) = &item.command {
            let fence = "`".repeat(longest_backtick_run(command).max(2) + 1);
            out.push_str(&format!("\n{inner}{fence}sh\n"));
            for line in command.lines() {
                out.push_str(&format!("{inner}{line}\n"));
            }
            out.push_str(&format!("{inner}{fence}\n\n"));
        }
        list(false, &item.children, &inner, out);
    }
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Text with every character that Markdown could read as markup escaped.
pub fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars: Vec<char> = text.chars().collect();
    for (index, &c) in chars.iter().enumerate() {
        let at_start = index == 0;
        // `&` only matters where it could start an entity such as `&amp;`.
        let entity = c == '&'
            && chars
                .get(index + 1)
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '#');
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|')
            || entity
            || (at_start && matches!(c, '#' | '-' | '+' | '='))
        {
            out.push('\\');
        }
        out.push(c);
    }
    // `1. text` at the start of a line would become a list.
    if let Some(dot) = out.find(". ")
        && dot > 0
        && out[..dot].chars().all(|c| c.is_ascii_digit())
    {
        out.insert(dot, '\\');
    }
    out
}

/// A table cell: escaped inline text; an empty value is shown as N/A, as the article does.
fn cell(text: &str) -> String {
    if text.trim().is_empty() {
        "N/A".to_string()
    } else {
        inline(text)
    }
}
