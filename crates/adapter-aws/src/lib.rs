//! placeholder
#![warn(missing_docs)]
pub mod bindings;
pub mod event;
pub mod manifest;
pub mod names;
pub mod response;
mod runtime;
pub use manifest::{sam_template, sam_template_with, SamOptions};
pub use runtime::{remaining_time, select, FUNCTION_ENV};

/// Serves.
pub async fn run(app: faasport_core::App) -> Result<(), faasport_core::Error> {
    app.validate()?;
    runtime::serve(app).await
}
