//! What a handler returns: [`Output`], and [`IntoOutput`] for the types a handler may return.

use serde::{Deserialize, Serialize};

use crate::{Error, HttpResponse, Json};

/// The outcome of processing a batch: the ids of the messages or records that failed.
///
/// Only the failed items are retried (SQS `batchItemFailures`, the local queue's partial batch
/// failure); an empty outcome means the whole batch succeeded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchOutcome {
    /// Ids of the items that failed, in the order they were reported.
    pub failed: Vec<String>,
}

impl BatchOutcome {
    /// Every item succeeded.
    pub fn success() -> Self {
        Self::default()
    }

    /// The given items failed.
    pub fn failed<I, S>(ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            failed: ids.into_iter().map(Into::into).collect(),
        }
    }

    /// Records one failed item.
    pub fn fail(&mut self, id: impl Into<String>) {
        self.failed.push(id.into());
    }

    /// Whether every item succeeded.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
    }
}

/// The neutral output of an invocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "output", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Output {
    /// An HTTP response.
    Http(HttpResponse),
    /// Nothing (success).
    Empty,
    /// A batch outcome (partial batch failure).
    Batch(BatchOutcome),
    /// A JSON value.
    Json(serde_json::Value),
}

impl Output {
    /// The output as JSON, the way a direct invocation returns it.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Output::Json(value) => value.clone(),
            Output::Empty => serde_json::Value::Null,
            other => serde_json::to_value(other).unwrap_or(serde_json::Value::Null),
        }
    }

    /// [`Output::to_json`] by value: a JSON output is moved out, not copied (the same
    /// document).
    pub fn into_json(self) -> serde_json::Value {
        match self {
            Output::Json(value) => value,
            other => other.to_json(),
        }
    }
}

/// Types a handler may return on success.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned by a faasport handler",
    label = "not a handler output",
    note = "a handler returns Result<T, E> where T is one of: HttpResponse, (), BatchOutcome, Json<T: Serialize>, serde_json::Value, Output"
)]
pub trait IntoOutput {
    /// Converts into the neutral output.
    ///
    /// # Errors
    /// Fails if the value cannot be serialised.
    fn into_output(self) -> Result<Output, Error>;
}

impl IntoOutput for Output {
    fn into_output(self) -> Result<Output, Error> {
        Ok(self)
    }
}

impl IntoOutput for HttpResponse {
    fn into_output(self) -> Result<Output, Error> {
        Ok(Output::Http(self))
    }
}

impl IntoOutput for () {
    fn into_output(self) -> Result<Output, Error> {
        Ok(Output::Empty)
    }
}

impl IntoOutput for BatchOutcome {
    fn into_output(self) -> Result<Output, Error> {
        Ok(Output::Batch(self))
    }
}

impl IntoOutput for serde_json::Value {
    fn into_output(self) -> Result<Output, Error> {
        Ok(Output::Json(self))
    }
}

impl<T: Serialize> IntoOutput for Json<T> {
    fn into_output(self) -> Result<Output, Error> {
        Ok(Output::Json(serde_json::to_value(self.0)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn into_json_is_to_json_for_every_kind_of_output() {
        let outputs = [
            Output::Json(serde_json::json!({"qty": 4, "tags": ["a"]})),
            Output::Json(serde_json::Value::Null),
            Output::Empty,
            Output::Batch(BatchOutcome::failed(["m-2"])),
            Output::Http(HttpResponse::text(http::StatusCode::OK, "hi")),
        ];
        for output in outputs {
            let borrowed = output.to_json();
            assert_eq!(output.into_json(), borrowed);
        }
    }
}
