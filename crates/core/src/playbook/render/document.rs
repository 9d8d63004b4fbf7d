//! A small document tree, built once from a playbook and written out as Markdown or HTML, so
//! both formats always hold the same sections, tables and lists.

/// A titled part of the document; `level` 1 is the document title.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub level: u8,
    /// Unique within the document; an HTML id and a Markdown anchor.
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
    pub sections: Vec<Section>,
}

impl Section {
    pub fn new(level: u8, id: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            level,
            id: id.into(),
            title: title.into(),
            blocks: Vec::new(),
            sections: Vec::new(),
        }
    }

    pub fn with(mut self, block: Block) -> Self {
        self.blocks.push(block);
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Paragraph(String),
    /// A table with a header row; every row has as many cells as the header.
    Table {
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    List {
        ordered: bool,
        items: Vec<Item>,
    },
    /// A warning that must stand out, e.g. `OVERDUE`.
    Alert {
        label: String,
        text: String,
    },
}

impl Block {
    pub fn table(headers: &[&str], rows: Vec<Vec<String>>) -> Self {
        Block::Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows,
        }
    }
}

/// A list item: text, an optional command shown as code, and nested items.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub text: String,
    pub command: Option<String>,
    pub children: Vec<Item>,
}

impl Item {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            command: None,
            children: Vec::new(),
        }
    }
}
