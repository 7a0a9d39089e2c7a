//! Choosing the backend at run time.

use faasport_core::{App, Error, Provider};

/// Overrides platform detection: `local`, `aws`, `gcp` or `azure`.
pub const PROVIDER_ENV: &str = "FAASPORT_PROVIDER";
pub use faasport_core::contract::FUNCTION_ENV;

/// The providers compiled into this binary, in detection order.
fn enabled() -> Vec<Provider> {
    let mut providers = Vec::new();
    if cfg!(feature = "aws") {
        providers.push(Provider::Aws);
    }
    if cfg!(feature = "azure") {
        providers.push(Provider::Azure);
    }
    if cfg!(feature = "gcp") {
        providers.push(Provider::Gcp);
    }
    if cfg!(feature = "local") {
        providers.push(Provider::Local);
    }
    providers
}

/// Picks the provider to run on from an environment lookup.
///
/// `FAASPORT_PROVIDER` wins; otherwise the first enabled platform whose marker variable is set
/// (`AWS_LAMBDA_RUNTIME_API`, `FUNCTIONS_CUSTOMHANDLER_PORT`, `K_SERVICE` or `FUNCTION_TARGET`);
/// otherwise local if enabled, else the only enabled cloud.
///
/// # Errors
/// [`Error::NoBackend`] if the requested provider is unknown or not compiled in, or if no
/// provider can be chosen.
pub fn detect_provider(env: impl Fn(&str) -> Option<String>) -> Result<Provider, Error> {
    let enabled = enabled();
    if let Some(requested) = env(PROVIDER_ENV).filter(|v| !v.trim().is_empty()) {
        let provider: Provider =
            requested
                .parse()
                .map_err(|e: faasport_core::UnknownProvider| Error::NoBackend {
                    reason: e.to_string(),
                })?;
        if !enabled.contains(&provider) {
            return Err(Error::NoBackend {
                reason: format!(
                    "{PROVIDER_ENV}={provider} but this binary was built without the `{provider}` feature"
                ),
            });
        }
        return Ok(provider);
    }
    let marker = |provider| match provider {
        Provider::Aws => env("AWS_LAMBDA_RUNTIME_API").is_some(),
        Provider::Azure => env("FUNCTIONS_CUSTOMHANDLER_PORT").is_some(),
        Provider::Gcp => env("K_SERVICE").is_some() || env("FUNCTION_TARGET").is_some(),
        Provider::Local => false,
    };
    if let Some(found) = enabled.iter().copied().find(|p| marker(*p)) {
        return Ok(found);
    }
    if enabled.contains(&Provider::Local) {
        return Ok(Provider::Local);
    }
    match enabled.as_slice() {
        [only] => Ok(*only),
        _ => Err(Error::NoBackend {
            reason:
                "cannot tell which platform this is: set FAASPORT_PROVIDER to aws, gcp or azure"
                    .into(),
        }),
    }
}

/// Runs `app` on the platform it finds itself on.
///
/// With the local backend the binary becomes its own command-line tool (see
/// [`cli`](crate::cli)); on a cloud it serves the function the platform (or
/// `FAASPORT_FUNCTION`) names.
///
/// # Errors
/// An invalid app ([`Error::App`]), an unavailable provider, or the backend's own failure.
pub async fn run(app: App) -> Result<(), Error> {
    init_tracing();
    app.validate()?;
    let provider = detect_provider(|name| std::env::var(name).ok())?;
    tracing::debug!(%provider, app = app.name(), "starting");
    match provider {
        #[cfg(feature = "local")]
        Provider::Local => crate::cli::run(app).await,
        #[cfg(feature = "aws")]
        Provider::Aws => faasport_adapter_aws::run(app).await,
        #[cfg(feature = "gcp")]
        Provider::Gcp => faasport_adapter_gcp::run(app).await,
        #[cfg(feature = "azure")]
        Provider::Azure => faasport_adapter_azure::run(app).await,
        #[allow(unreachable_patterns)]
        other => Err(Error::NoBackend {
            reason: format!("the `{other}` feature is not enabled"),
        }),
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    // A second call (tests, embedding) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_provider_variable_overrides_detection() {
        let found = detect_provider(env(&[
            ("FAASPORT_PROVIDER", "local"),
            ("AWS_LAMBDA_RUNTIME_API", "x"),
        ]));
        assert_eq!(found.ok(), Some(Provider::Local));
    }

    #[test]
    fn an_unknown_provider_name_is_an_error_naming_the_choices() {
        let err = detect_provider(env(&[("FAASPORT_PROVIDER", "heroku")])).expect_err("unknown");
        assert!(
            err.to_string().contains("unknown provider `heroku`"),
            "{err}"
        );
    }

    #[cfg(feature = "local")]
    #[test]
    fn without_markers_the_local_backend_is_chosen() {
        assert_eq!(detect_provider(env(&[])).ok(), Some(Provider::Local));
    }

    #[cfg(feature = "aws")]
    #[test]
    fn the_lambda_runtime_api_variable_selects_aws() {
        assert_eq!(
            detect_provider(env(&[("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")])).ok(),
            Some(Provider::Aws)
        );
    }

    #[cfg(not(feature = "gcp"))]
    #[test]
    fn requesting_a_provider_that_is_not_compiled_in_is_an_error() {
        let err = detect_provider(env(&[("FAASPORT_PROVIDER", "gcp")])).expect_err("not enabled");
        assert!(
            err.to_string().contains("without the `gcp` feature"),
            "{err}"
        );
    }
}
