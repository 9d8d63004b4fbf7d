//! Shared test data: the Bookstore playbook of `examples/bookstore/playbook.yaml`.

use super::{Playbook, load_playbook};

pub fn bookstore() -> Playbook {
    let text = include_str!("../../../../examples/bookstore/playbook.yaml");
    load_playbook("examples/bookstore/playbook.yaml", text).unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}
