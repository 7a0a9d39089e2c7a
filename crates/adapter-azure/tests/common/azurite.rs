//! Azurite for the binding tests: where it is, and an account SAS for it.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use azure_core::credentials::Secret;
use azure_core::http::Url;

/// Azurite's account and its documented key.
pub const ACCOUNT: &str = "devstoreaccount1";
pub const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The two service URLs, or `None` (after saying why) when the tests skip.
pub fn azurite() -> Option<(String, String)> {
    let blob = std::env::var("FAASPORT_AZURITE_BLOB")
        .ok()
        .filter(|v| !v.is_empty());
    let queue = std::env::var("FAASPORT_AZURITE_QUEUE")
        .ok()
        .filter(|v| !v.is_empty());
    match (blob, queue) {
        (Some(blob), Some(queue)) => Some((blob, queue)),
        _ if std::env::var("FAASPORT_REQUIRE_PEERS").as_deref() == Ok("1") => {
            panic!("FAASPORT_AZURITE_BLOB/FAASPORT_AZURITE_QUEUE are not set but FAASPORT_REQUIRE_PEERS=1: start Azurite with .ci/azure-peers.sh")
        }
        _ => {
            eprintln!("skipped: FAASPORT_AZURITE_BLOB/FAASPORT_AZURITE_QUEUE are not set (see .ci/azure-peers.sh); FAASPORT_REQUIRE_PEERS=1 makes this a failure");
            None
        }
    }
}

/// An account SAS for blobs and queues, every permission, until 2099 (the nine-line
/// string-to-sign of `sv >= 2020-12-06`).
pub fn account_sas() -> String {
    let (sv, ss, srt, sp, se, spr) = (
        "2025-11-05",
        "bq",
        "sco",
        "rwdlacup",
        "2099-01-01T00:00:00Z",
        "https,http",
    );
    let to_sign = format!("{ACCOUNT}\n{sp}\n{ss}\n{srt}\n\n{se}\n\n{spr}\n{sv}\n\n");
    let sig = azure_core::hmac::hmac_sha256(&to_sign, &Secret::new(KEY)).expect("sign the SAS");
    let mut url = Url::parse("http://x/").expect("url");
    url.query_pairs_mut()
        .append_pair("sv", sv)
        .append_pair("ss", ss)
        .append_pair("srt", srt)
        .append_pair("sp", sp)
        .append_pair("se", se)
        .append_pair("spr", spr)
        .append_pair("sig", &sig);
    url.query().unwrap_or_default().to_owned()
}

/// A name no other test (or earlier run against the same Azurite) uses.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos}-{n}", std::process::id())
}
