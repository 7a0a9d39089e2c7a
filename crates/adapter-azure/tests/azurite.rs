//! The Storage bindings against a real Azurite: every write through the bindings is read back
//! from Azurite with the SDK's own calls (queue receive, blob download, blob exists), and every
//! read through the bindings is of data the SDK wrote.
//!
//! Azurite is started by `.ci/azure-peers.sh` (`.ci/run` does it), which exports
//! `FAASPORT_AZURITE_BLOB` and `FAASPORT_AZURITE_QUEUE` (the service URLs,
//! `http://127.0.0.1:PORT/devstoreaccount1`). Without them the tests print why they skip, and
//! with `FAASPORT_REQUIRE_PEERS=1` they fail instead. The bindings authenticate with an account
//! SAS signed here with the emulator's well-known key, as `wire-protocols.md` §3.10 describes.
#![cfg(all(feature = "queue", feature = "blob"))]

#[path = "common/azurite.rs"]
mod peer;

use std::sync::Arc;

use azure_core::http::{RequestContent, Url};
use azure_storage_blob::BlobServiceClient;
use azure_storage_queue::QueueServiceClient;
use base64::Engine;
use faasport_adapter_azure::bindings::storage::StorageSettings;
use faasport_adapter_azure::bindings::AzureBindings;
use faasport_adapter_azure::names::ResourceNames;
use faasport_core::resource::{Message, Object, ObjectStore, QueueSender};
use faasport_core::{Error, ResourceKind};

use peer::{account_sas, azurite, unique};

struct Peer {
    bindings: Arc<AzureBindings>,
    queues: QueueServiceClient,
    blobs: BlobServiceClient,
}

/// The bindings under test (faasport queue `jobs` is the Azure queue `queue`, bucket `files`
/// the container `container`) and independent SDK clients on the same Azurite.
fn peer(blob: &str, queue: &str, queue_name: &str, container: &str) -> Peer {
    let sas = account_sas();
    let queue_url = format!("{queue}?{sas}");
    let blob_url = format!("{blob}/?{sas}"); // the trailing slash is the bindings' to remove
    let names = ResourceNames::default()
        .with(ResourceKind::Queue, "jobs", queue_name)
        .with(ResourceKind::Bucket, "files", container);
    let storage = StorageSettings::default()
        .with_queue_url(&queue_url)
        .with_blob_url(&blob_url);
    let queues = QueueServiceClient::new(Url::parse(&queue_url).expect("url"), None, None)
        .expect("queue client");
    let blobs = BlobServiceClient::new(
        Url::parse(&format!("{blob}?{sas}")).expect("url"),
        None,
        None,
    )
    .expect("blob client");
    Peer {
        bindings: Arc::new(AzureBindings::new(names, storage)),
        queues,
        blobs,
    }
}

fn decode(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("message text is base64")
}

#[tokio::test]
async fn sent_messages_are_read_back_from_azurite_as_the_queue_trigger_decodes_them() {
    let Some((blob, queue)) = azurite() else {
        return;
    };
    let name = unique("jobs");
    let peer = peer(&blob, &queue, &name, "unused");
    let queue_client = peer.queues.queue_client(&name).expect("queue client");
    queue_client.create(None).await.expect("create the queue");

    let json = Message::json(&serde_json::json!({"order": 7})).expect("json");
    let first = peer.bindings.send("jobs", json).await.expect("send json");
    let second = peer
        .bindings
        .send("jobs", Message::new(vec![0u8, 159, 255]))
        .await
        .expect("send bytes");
    assert!(!first.is_empty() && first != second, "{first} {second}");

    let options = azure_storage_queue::models::QueueClientReceiveMessagesOptions {
        number_of_messages: Some(32),
        ..Default::default()
    };
    let received = queue_client
        .receive_messages(Some(options))
        .await
        .expect("receive")
        .into_model()
        .expect("messages")
        .items
        .unwrap_or_default();
    let mut got: Vec<(String, Vec<u8>)> = received
        .into_iter()
        .map(|m| {
            (
                m.message_id.unwrap_or_default(),
                decode(&m.message_text.unwrap_or_default()),
            )
        })
        .collect();
    got.sort_by_key(|(id, _)| if *id == first { 0 } else { 1 });
    assert_eq!(
        got,
        [
            (first, br#"{"order":7}"#.to_vec()),
            (second, vec![0u8, 159, 255])
        ]
    );
    queue_client.delete(None).await.expect("delete the queue");
}

#[tokio::test]
async fn a_message_with_attributes_is_refused_and_nothing_reaches_the_queue() {
    let Some((blob, queue)) = azurite() else {
        return;
    };
    let name = unique("attrs");
    let peer = peer(&blob, &queue, &name, "unused");
    let queue_client = peer.queues.queue_client(&name).expect("queue client");
    queue_client.create(None).await.expect("create the queue");

    let message = Message::new("x").with_attribute("tenant", "acme");
    let refused = peer.bindings.send("jobs", message).await;
    match refused {
        Err(Error::Binding {
            kind: ResourceKind::Queue,
            ref name,
            retryable: false,
            ref source,
        }) => {
            assert_eq!(name, "jobs");
            assert_eq!(
                source.to_string(),
                "Azure Storage queue messages carry no attributes (tenant); put them in the body"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let peeked = queue_client
        .peek_messages(None)
        .await
        .expect("peek")
        .into_model()
        .expect("messages")
        .items
        .unwrap_or_default();
    assert_eq!(peeked.len(), 0);
    queue_client.delete(None).await.expect("delete the queue");
}

#[tokio::test]
async fn a_send_to_a_missing_queue_is_a_binding_error_that_a_retry_cannot_fix() {
    let Some((blob, queue)) = azurite() else {
        return;
    };
    let peer = peer(&blob, &queue, &unique("missing"), "unused");
    match peer.bindings.send("jobs", Message::new("x")).await {
        Err(
            e @ Error::Binding {
                retryable: false, ..
            },
        ) => {
            assert!(!e.is_retryable());
            assert_eq!(e.to_string(), "queue `jobs` binding failed");
        }
        other => panic!("expected a binding error, got {other:?}"),
    }
}

#[tokio::test]
async fn objects_put_listed_and_deleted_through_the_bindings_are_read_back_from_azurite() {
    let Some((blob, queue)) = azurite() else {
        return;
    };
    let container = unique("files");
    let peer = peer(&blob, &queue, "unused", &container);
    let container_client = peer.blobs.blob_container_client(&container);
    container_client
        .create(None)
        .await
        .expect("create the container");

    let report = Object::new("quarterly numbers").with_content_type("text/plain");
    let info = peer
        .bindings
        .put("files", "reports/2026/q1.txt", report)
        .await
        .expect("put");
    assert_eq!((info.key.as_str(), info.size), ("reports/2026/q1.txt", 17));
    assert!(
        info.etag.is_some() && info.last_modified.is_some(),
        "{info:?}"
    );
    peer.bindings
        .put("files", "reports/raw.bin", Object::new(vec![0u8, 1, 255]))
        .await
        .expect("put bytes");
    peer.bindings
        .put("files", "other.txt", Object::new("x"))
        .await
        .expect("put other");

    // read back by the SDK, not the bindings
    let download = container_client
        .blob_client("reports/2026/q1.txt")
        .download(None)
        .await
        .expect("download");
    assert_eq!(
        download.properties.content_type.as_deref(),
        Some("text/plain")
    );
    let bytes = download.body.collect().await.expect("body");
    assert_eq!(&bytes[..], b"quarterly numbers");

    let listed = peer.bindings.list("files", "reports/").await.expect("list");
    let keys: Vec<(&str, u64)> = listed.iter().map(|o| (o.key.as_str(), o.size)).collect();
    assert_eq!(keys, [("reports/2026/q1.txt", 17), ("reports/raw.bin", 3)]);
    assert_eq!(listed[0].etag, info.etag);
    assert_eq!(
        peer.bindings
            .list("files", "")
            .await
            .expect("list all")
            .len(),
        3
    );

    peer.bindings
        .delete("files", "reports/raw.bin")
        .await
        .expect("delete");
    let exists = container_client
        .blob_client("reports/raw.bin")
        .exists()
        .await
        .expect("exists");
    assert!(!exists);
    peer.bindings
        .delete("files", "reports/raw.bin")
        .await
        .expect("deleting a missing blob succeeds");
    container_client
        .delete(None)
        .await
        .expect("delete the container");
}

#[tokio::test]
async fn objects_written_by_the_sdk_are_read_through_the_bindings_and_missing_keys_are_none() {
    let Some((blob, queue)) = azurite() else {
        return;
    };
    let container = unique("reads");
    let peer = peer(&blob, &queue, "unused", &container);
    let container_client = peer.blobs.blob_container_client(&container);
    container_client
        .create(None)
        .await
        .expect("create the container");
    container_client
        .blob_client("in/data.bin")
        .upload(RequestContent::from(vec![9u8, 8, 7]), None)
        .await
        .expect("upload");

    let object = peer
        .bindings
        .get("files", "in/data.bin")
        .await
        .expect("get");
    assert_eq!(
        object.map(|o| o.body.as_bytes().to_vec()),
        Some(vec![9u8, 8, 7])
    );
    let missing = peer
        .bindings
        .get("files", "in/none.bin")
        .await
        .expect("get missing");
    assert_eq!(missing, None);
    container_client
        .delete(None)
        .await
        .expect("delete the container");

    match peer.bindings.get("files", "in/data.bin").await {
        Err(
            e @ Error::Binding {
                retryable: false, ..
            },
        ) => {
            assert_eq!(e.to_string(), "bucket `files` binding failed");
        }
        other => panic!("a missing container is an error, not a missing key: {other:?}"),
    }
}

#[tokio::test]
async fn the_local_settings_sas_is_the_development_account_sas_and_azurite_accepts_it() {
    use faasport_adapter_azure::manifest::{AZURITE_ACCOUNT_SAS, AZURITE_QUEUE_URL};
    // Recomputed from the well-known key, independently of the constant.
    assert_eq!(AZURITE_ACCOUNT_SAS, account_sas());
    async fn noop(_: faasport_core::QueueBatch, _: faasport_core::Context) -> Result<(), Error> {
        Ok(())
    }
    let app = faasport_core::App::new("shop")
        .queue("jobs")
        .function(faasport_core::Function::new("work", noop).queue("jobs"));
    let files = faasport_adapter_azure::project(&app, &Default::default()).expect("project");
    let settings = &files
        .iter()
        .find(|f| f.path == "local.settings.json")
        .expect("local.settings.json")
        .json["Values"];
    let generated = settings["FAASPORT_AZURE_QUEUE_URL"]
        .as_str()
        .expect("a queue URL");
    assert_eq!(
        generated,
        format!("{AZURITE_QUEUE_URL}?{AZURITE_ACCOUNT_SAS}")
    );

    let Some((blob, queue)) = azurite() else {
        return;
    };
    // The same URL on the ports this Azurite was started on.
    let here = generated.replace(AZURITE_QUEUE_URL, &queue);
    let name = unique("local");
    let peer = peer(&blob, &queue, &name, "unused");
    let queue_client = peer.queues.queue_client(&name).expect("queue client");
    queue_client.create(None).await.expect("create the queue");
    let names = ResourceNames::default().with(ResourceKind::Queue, "jobs", &name);
    let bindings = AzureBindings::new(names, StorageSettings::default().with_queue_url(&here));
    bindings
        .send("jobs", Message::new("hello"))
        .await
        .expect("Azurite accepts the generated SAS");
    let peeked = queue_client
        .peek_messages(None)
        .await
        .expect("peek")
        .into_model()
        .expect("messages")
        .items
        .unwrap_or_default();
    let texts: Vec<Vec<u8>> = peeked
        .into_iter()
        .map(|m| decode(&m.message_text.unwrap_or_default()))
        .collect();
    assert_eq!(texts, [b"hello".to_vec()]);
    queue_client.delete(None).await.expect("delete the queue");
}
