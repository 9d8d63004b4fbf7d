//! Rendering a playbook, with or without its evidence, as Markdown or as one self-contained
//! HTML page. Pure: the evidence is read elsewhere and passed in.

mod build;
pub mod document;
mod evidence;
mod html;
mod markdown;

pub use build::document;
pub use evidence::{NO_EVIDENCE, OVERDUE};

use super::evidence::Evidence;
use super::model::Playbook;

/// The playbook as GitHub-flavoured Markdown.
pub fn markdown(playbook: &Playbook, evidence: Option<&Evidence>) -> String {
    markdown::write(&document(playbook, evidence))
}

/// The playbook as one HTML page (inline CSS, no external resource).
pub fn html(playbook: &Playbook, evidence: Option<&Evidence>) -> String {
    html::write(&document(playbook, evidence))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_text_cannot_become_markup() {
        assert_eq!(markdown::inline("a|b *c* <x>"), r"a\|b \*c\* \<x\>");
        assert_eq!(markdown::inline("# not a title"), r"\# not a title");
        assert_eq!(markdown::inline("1. not a list"), r"1\. not a list");
        assert_eq!(markdown::inline("Backup & Restore"), "Backup & Restore");
        assert_eq!(markdown::inline("&amp;"), r"\&amp;");
    }
}
