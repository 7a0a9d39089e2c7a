//! Where the Storage account is, and how requests to it are authenticated.
//!
//! The queue and blob service URLs are read from the function app's settings, first match
//! wins:
//!
//! | order | setting | meaning |
//! |---|---|---|
//! | 1 | `FAASPORT_AZURE_QUEUE_URL` / `FAASPORT_AZURE_BLOB_URL` | the service URL, optionally with a SAS query (`https://acct.queue.core.windows.net?sv=..&sig=..`, or Azurite's `http://127.0.0.1:10001/devstoreaccount1?..`) |
//! | 2 | `AzureWebJobsStorage__queueServiceUri` / `AzureWebJobsStorage__blobServiceUri` | the host's own identity-based connection, which the generated triggers use (`connection: AzureWebJobsStorage`) |
//! | 3 | `AzureWebJobsStorage__accountName` | `https://<account>.queue.core.windows.net` / `https://<account>.blob.core.windows.net` |
//!
//! A URL whose query carries a SAS signature (`sig`) is used as it is, with no credential. Any
//! other URL must be `https` and is signed with an Entra ID token for
//! `https://storage.azure.com/.default`: the credential given to
//! [`AzureBindings::with_credential`](super::AzureBindings), else the function app's managed
//! identity (feature `managed-identity`; a user-assigned one when
//! `AzureWebJobsStorage__clientId` is set, as the host reads it). The identity needs the
//! *Storage Queue Data Message Sender* and *Storage Blob Data Contributor* roles on the
//! account; these crates have no shared-key or connection-string support, so a plain
//! `AzureWebJobsStorage` connection string is not read.
//!
//! A trailing `/` on the service URL is removed: the clients append the queue or container
//! as a path segment, and `/devstoreaccount1//queue` is refused.

/// The setting with the queue service URL, read first.
pub const QUEUE_URL_ENV: &str = "FAASPORT_AZURE_QUEUE_URL";
/// The setting with the blob service URL, read first.
pub const BLOB_URL_ENV: &str = "FAASPORT_AZURE_BLOB_URL";
/// The connection name of the generated triggers, whose identity-based settings
/// (`<connection>__queueServiceUri`, `__blobServiceUri`, `__accountName`, `__clientId`) are
/// read next.
pub const CONNECTION: &str = "AzureWebJobsStorage";

/// A Storage service the bindings call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(any(feature = "queue", feature = "blob")), allow(dead_code))]
pub(crate) enum Service {
    Queue,
    Blob,
}

impl Service {
    fn word(self) -> &'static str {
        match self {
            Service::Queue => "queue",
            Service::Blob => "blob",
        }
    }
}

/// A setting and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Setting {
    variable: String,
    value: String,
}

/// The Storage settings of a function app ([module docs](self)).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StorageSettings {
    queue: Option<Setting>,
    blob: Option<Setting>,
    client_id: Option<String>,
}

impl std::fmt::Debug for StorageSettings {
    /// The URLs without their query, which may hold a SAS.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |s: &Option<Setting>| {
            s.as_ref()
                .map(|s| s.value.split('?').next().unwrap_or_default().to_owned())
        };
        f.debug_struct("StorageSettings")
            .field("queue", &shown(&self.queue))
            .field("blob", &shown(&self.blob))
            .field("client_id", &self.client_id)
            .finish()
    }
}

impl StorageSettings {
    /// Reads the settings through `env` (usually `std::env::var`).
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Self {
        let env = |name: &str| {
            env(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let find = |service: Service| {
            let (own, uri) = match service {
                Service::Queue => (QUEUE_URL_ENV, format!("{CONNECTION}__queueServiceUri")),
                Service::Blob => (BLOB_URL_ENV, format!("{CONNECTION}__blobServiceUri")),
            };
            let account = format!("{CONNECTION}__accountName");
            let setting = |variable: &str, value: String| Setting {
                variable: variable.to_owned(),
                value,
            };
            env(own)
                .map(|v| setting(own, v))
                .or_else(|| env(&uri).map(|v| setting(&uri, v)))
                .or_else(|| {
                    env(&account).map(|name| {
                        let url = format!("https://{name}.{}.core.windows.net", service.word());
                        setting(&account, url)
                    })
                })
        };
        Self {
            queue: find(Service::Queue),
            blob: find(Service::Blob),
            client_id: env(&format!("{CONNECTION}__clientId")),
        }
    }

    /// Uses `url` as the queue service URL.
    pub fn with_queue_url(mut self, url: impl Into<String>) -> Self {
        self.queue = Some(Setting {
            variable: QUEUE_URL_ENV.into(),
            value: url.into(),
        });
        self
    }

    /// Uses `url` as the blob service URL.
    pub fn with_blob_url(mut self, url: impl Into<String>) -> Self {
        self.blob = Some(Setting {
            variable: BLOB_URL_ENV.into(),
            value: url.into(),
        });
        self
    }

    /// The client id of the user-assigned managed identity, if one is set.
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }
}

#[cfg(any(feature = "queue", feature = "blob"))]
mod endpoint {
    use azure_core::http::Url;

    use super::{Service, StorageSettings, BLOB_URL_ENV, CONNECTION, QUEUE_URL_ENV};
    use crate::bindings::BindingError;

    /// A service URL ready for a client.
    #[derive(Debug, Clone)]
    pub(crate) struct Endpoint {
        pub(crate) url: Url,
        /// Whether the URL carries a SAS (then no credential is used).
        pub(crate) sas: bool,
    }

    impl StorageSettings {
        /// The URL of `service`.
        pub(crate) fn endpoint(&self, service: Service) -> Result<Endpoint, BindingError> {
            let setting = match service {
                Service::Queue => &self.queue,
                Service::Blob => &self.blob,
            };
            let Some(setting) = setting else {
                let (own, uri) = match service {
                    Service::Queue => (QUEUE_URL_ENV, "queueServiceUri"),
                    Service::Blob => (BLOB_URL_ENV, "blobServiceUri"),
                };
                return Err(BindingError::MissingSetting {
                    variables: format!("{own}, {CONNECTION}__{uri} or {CONNECTION}__accountName"),
                });
            };
            let invalid = |reason: String| BindingError::InvalidSetting {
                variable: setting.variable.clone(),
                reason,
            };
            let mut url = Url::parse(&setting.value).map_err(|e| invalid(e.to_string()))?;
            if url.cannot_be_a_base() || !matches!(url.scheme(), "http" | "https") {
                return Err(invalid("not an http(s) service URL".into()));
            }
            let path = url.path().trim_end_matches('/').to_owned();
            url.set_path(&path);
            let sas = url.query_pairs().any(|(k, _)| k == "sig");
            Ok(Endpoint { url, sas })
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn settings(pairs: &[(&str, &str)]) -> StorageSettings {
            StorageSettings::from_env(|name| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            })
        }

        #[test]
        fn the_own_setting_wins_over_the_host_connection_and_a_trailing_slash_goes() {
            let s = settings(&[
                (
                    QUEUE_URL_ENV,
                    "http://127.0.0.1:10001/devstoreaccount1/?sv=1&sig=abc",
                ),
                (
                    "AzureWebJobsStorage__queueServiceUri",
                    "https://a.queue.core.windows.net",
                ),
                ("AzureWebJobsStorage__accountName", "acct"),
            ]);
            let queue = s.endpoint(Service::Queue).map_err(|e| e.to_string());
            let queue = queue.as_ref().map(|e| (e.url.as_str(), e.sas));
            assert_eq!(
                queue,
                Ok(("http://127.0.0.1:10001/devstoreaccount1?sv=1&sig=abc", true))
            );
            let blob = s.endpoint(Service::Blob).map_err(|e| e.to_string());
            let blob = blob.as_ref().map(|e| (e.url.as_str(), e.sas));
            assert_eq!(blob, Ok(("https://acct.blob.core.windows.net/", false)));
        }

        #[test]
        fn the_service_uri_of_the_host_connection_is_read_without_a_sas() {
            let s = settings(&[(
                "AzureWebJobsStorage__blobServiceUri",
                "https://shop.blob.core.windows.net/",
            )]);
            let blob = s
                .endpoint(Service::Blob)
                .map(|e| e.sas)
                .map_err(|e| e.to_string());
            assert_eq!(blob, Ok(false));
        }

        #[test]
        fn no_setting_and_a_bad_setting_say_which_variables() {
            let none = settings(&[])
                .endpoint(Service::Queue)
                .map(|_| ())
                .map_err(|e| e.to_string());
            assert_eq!(
                none,
                Err("none of FAASPORT_AZURE_QUEUE_URL, AzureWebJobsStorage__queueServiceUri or AzureWebJobsStorage__accountName is set".into())
            );
            let bad = settings(&[(BLOB_URL_ENV, "not a url")]).endpoint(Service::Blob);
            assert!(matches!(
                bad,
                Err(BindingError::InvalidSetting { ref variable, .. }) if variable == BLOB_URL_ENV
            ));
        }

        #[test]
        fn a_sas_is_not_shown_in_debug_output() {
            let s = StorageSettings::default().with_queue_url("http://h/acct?sig=secret");
            assert!(!format!("{s:?}").contains("secret"));
        }
    }
}
