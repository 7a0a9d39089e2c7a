//! Outbound resource bindings on Azure.
//!
//! None yet: publishing, sending, object access and invoking from the [`Context`] fail with
//! [`Error::NoBinding`](faasport_core::Error::NoBinding) naming the resource, after the
//! per-function access check ([`Access`](faasport_core::Access)) has passed, so an undeclared
//! use is still [`Error::Undeclared`](faasport_core::Error::Undeclared) as on every backend.
//!
//! The plan (issue 10): output bindings declared in `function.json` for queue, Service Bus and
//! blob writes, returned in `Outputs`; and the official SDK crates on `azure_core` 1.x
//! (`azure_storage_queue`, `azure_storage_blob`) with a managed-identity token or a SAS URL
//! where an output binding cannot serve (reading a blob), tested against Azurite.
//!
//! [`Context`]: faasport_core::Context

use faasport_core::Bindings;

/// The bindings a [`Context`](faasport_core::Context) gets on Azure: none yet.
pub fn azure_bindings() -> Bindings {
    Bindings::none()
}
