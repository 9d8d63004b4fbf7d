//! The static site's content manifest: every object the site needs, with its size when known.
//! A bucket is usable only if it holds every object of the manifest (with the same size).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub objects: Vec<ManifestObject>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestObject {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
}

/// Why a manifest could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the manifest is not valid: {0}; write JSON like {{\"objects\": [{{\"key\": \"static/app.css\", \"size\": 1024}}]}}"
)]
pub struct ManifestError(pub String);

impl Manifest {
    pub fn parse(text: &str) -> Result<Self, ManifestError> {
        let manifest: Manifest =
            serde_json::from_str(text).map_err(|e| ManifestError(e.to_string()))?;
        if manifest.objects.is_empty() {
            return Err(ManifestError("it lists no objects".into()));
        }
        Ok(manifest)
    }

    /// The objects of the manifest that `present` (key → size) lacks or holds with another
    /// size, each with the reason.
    pub fn missing_from(&self, present: &BTreeMap<String, i64>) -> Vec<String> {
        self.objects
            .iter()
            .filter_map(|object| match (present.get(&object.key), object.size) {
                (None, _) => Some(format!("{} is missing", object.key)),
                (Some(found), Some(size)) if *found != size => Some(format!(
                    "{} has {found} bytes instead of {size}",
                    object.key
                )),
                _ => None,
            })
            .collect()
    }
}
