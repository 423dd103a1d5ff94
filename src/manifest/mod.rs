//! Kubernetes manifests as users have them: multi-document YAML files (or standard input) mixing
//! Deployments, Services, autoscalers and whatever else a Helm chart renders.
//!
//! This module reads the stream, identifies each document by `apiVersion`/`kind`, and hands the
//! ones scalesim models to their own parsers (`deployment`, and the autoscaler modules). Documents
//! scalesim does not model are listed, never silently dropped.

pub(crate) mod deployment;
pub(crate) mod kind;
pub(crate) mod statefulset;
pub(crate) mod template_text;

use crate::error::InputError;
use crate::yaml::{Document, Source, split_documents};
use std::path::Path;

/// Where to read manifests from: a file path or `-` for standard input. Standard input is read
/// once and kept, so a one-command run can look at the manifests and then load them.
pub(crate) fn read_source(path: &Path) -> Result<Source, InputError> {
    static STDIN: std::sync::OnceLock<Result<Source, InputError>> = std::sync::OnceLock::new();
    if path.as_os_str() == "-" {
        STDIN.get_or_init(Source::stdin).clone()
    } else {
        Source::read(path)
    }
}

/// The identity of one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) name: String,
}

/// Read `apiVersion`, `kind` and `metadata.name` of a document (missing values are empty).
pub(crate) fn header(doc: &Document<'_>) -> Result<Header, InputError> {
    #[derive(serde::Deserialize, Default)]
    struct Meta {
        #[serde(default)]
        name: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default, rename = "apiVersion")]
        api_version: Option<String>,
        #[serde(default)]
        kind: Option<String>,
        #[serde(default)]
        metadata: Option<Meta>,
    }
    // Only the head is read here; the rest of the document is parsed by the kind's own module.
    let v = doc.value()?;
    let head: Head = serde_json::from_value(v).map_err(|e| {
        doc.error_at_path(
            "",
            format!(
                "not a Kubernetes object: {}",
                crate::yaml::messages::json_words(&e)
            ),
        )
    })?;
    Ok(Header {
        api_version: head.api_version.unwrap_or_default(),
        kind: head.kind.unwrap_or_default(),
        name: head.metadata.and_then(|m| m.name).unwrap_or_default(),
    })
}

/// All documents of a source with their headers.
pub(crate) fn documents(source: &Source) -> Result<Vec<(Header, Document<'_>)>, InputError> {
    split_documents(source)
        .into_iter()
        .map(|d| Ok((header(&d)?, d)))
        .collect()
}
