//! The document as one self-contained HTML page: inline CSS, no script, no external resource.
//! Every text is escaped; the output is also well-formed XML, so tests can parse it.

use super::document::{Block, Item, Section};
use crate::html::escape;

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1b1f24;background:#fff}\
main{max-width:72rem;margin:0 auto;padding:1.5rem}\
h1{border-bottom:2px solid #1b1f24;padding-bottom:.3rem}\
h2{border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}\
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}\
th,td{border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left;vertical-align:top}\
th{background:#f3f4f6}\
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto}\
.alert{border-left:4px solid #cf222e;background:#ffebe9;padding:.5rem .8rem}\
@media print{main{max-width:none}}";

pub fn write(root: &Section) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    out.push_str(&format!("<title>{}</title>\n", escape(&root.title)));
    out.push_str(&format!(
        "<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    ));
    section(root, &mut out);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn section(section: &Section, out: &mut String) {
    let level = section.level.clamp(1, 6);
    out.push_str(&format!(
        "<section id=\"{}\">\n<h{level}>{}</h{level}>\n",
        escape(&section.id),
        escape(&section.title)
    ));
    for block in &section.blocks {
        match block {
            Block::Paragraph(text) => out.push_str(&format!("<p>{}</p>\n", escape(text))),
            Block::Table { headers, rows } => table(headers, rows, out),
            Block::List { ordered, items } => list(*ordered, items, out),
            Block::Alert { label, text } => out.push_str(&format!(
                "<p class=\"alert\"><strong>{}</strong>: {}</p>\n",
                escape(label),
                escape(text)
            )),
        }
    }
    for child in &section.sections {
        self::section(child, out);
    }
    out.push_str("</section>\n");
}

fn table(headers: &[String], rows: &[Vec<String>], out: &mut String) {
    out.push_str("<table>\n<thead><tr>");
    for header in headers {
        out.push_str(&format!("<th scope=\"col\">{}</th>", escape(header)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let shown = if cell.trim().is_empty() { "N/A" } else { cell };
            out.push_str(&format!("<td>{}</td>", escape(shown)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn list(ordered: bool, items: &[Item], out: &mut String) {
    let tag = if ordered { "ol" } else { "ul" };
    out.push_str(&format!("<{tag}>\n"));
    for item in items {
        out.push_str(&format!("<li>{}", escape(&item.text)));
        if let Some(command) = &item.command {
            out.push_str(&format!("<pre><code>{}</code></pre>", escape(command)));
        }
        if !item.children.is_empty() {
            out.push('\n');
            list(false, &item.children, out);
        }
        out.push_str("</li>\n");
    }
    out.push_str(&format!("</{tag}>\n"));
}
