//! The Google Cloud bindings against real peers: the Pub/Sub emulator (publish, queue send,
//! push delivery into the adapter's server, nack and redelivery, asynchronous invoke) and
//! fake-gcs-server (object upload and download through `google-cloud-storage`).
//!
//! `.ci/run` starts the emulator and installs fake-gcs-server (`.ci/gcp-peers.sh`), and exports
//! `FAASPORT_PUBSUB_EMULATOR` (`host:port`) and `FAASPORT_FAKE_GCS_SERVER` (the binary). Without
//! them each test says why it is skipped; with `FAASPORT_REQUIRE_PEERS=1` it fails instead.
//!
//! Delete and list go through the `google.storage.v2` gRPC API, which fake-gcs-server does not
//! serve; `tests/storage_grpc.rs` covers them at the protocol level.

mod harness;
mod pubsub;
mod storage;
