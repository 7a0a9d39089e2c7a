//! [`Provider`]: which platform an invocation runs on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The platform an invocation runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// The bundled local runtime.
    Local,
    /// AWS Lambda.
    Aws,
    /// Google Cloud (Cloud Run functions, Knative).
    Gcp,
    /// Azure Functions.
    Azure,
}

impl Provider {
    /// The lower-case name used in `FAASPORT_PROVIDER` and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Local => "local",
            Provider::Aws => "aws",
            Provider::Gcp => "gcp",
            Provider::Azure => "azure",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A provider name that is not one of `local`, `aws`, `gcp`, `azure`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider `{0}` (expected local, aws, gcp or azure)")]
pub struct UnknownProvider(pub String);

impl FromStr for Provider {
    type Err = UnknownProvider;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "local" => Ok(Provider::Local),
            "aws" | "lambda" => Ok(Provider::Aws),
            "gcp" | "google" => Ok(Provider::Gcp),
            "azure" => Ok(Provider::Azure),
            _ => Err(UnknownProvider(s.to_owned())),
        }
    }
}
