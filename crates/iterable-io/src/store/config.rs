//! Building the `object_store` client of a URL from [`StoreOptions`] and the
//! environment.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use iterable_core::{Error, Result, StoreOptions};
use object_store::ObjectStore;
use object_store::memory::InMemory;

#[cfg(feature = "remote")]
use super::store_error;
use super::url::{Backend, StoreUrl};

/// The store that serves `url`.
///
/// Credentials, region and endpoint not given in `options` come from the backend's
/// usual environment variables (`AWS_*`, `GOOGLE_*`, `AZURE_*`). `memory://name/...`
/// is one in-process store per name, shared by every open in the process.
pub(crate) fn build_store(
    location: &str,
    url: &StoreUrl,
    options: &StoreOptions,
) -> Result<Arc<dyn ObjectStore>> {
    #[cfg(not(feature = "remote"))]
    let _ = options;
    match url.backend {
        Backend::Memory => Ok(memory_store(url.url.host_str().unwrap_or_default())),
        #[cfg(feature = "aws")]
        Backend::S3 => s3(location, url, options),
        #[cfg(feature = "gcp")]
        Backend::Gcs => gcs(location, url, options),
        #[cfg(feature = "azure")]
        Backend::Azure => azure(location, url, options),
        #[cfg(feature = "http")]
        Backend::Http => http(location, url, options),
        // `location::parse` refuses URLs whose backend is compiled out.
        #[allow(unreachable_patterns)]
        _ => Err(Error::unsupported(
            location,
            "this store is not compiled in",
        )),
    }
}

fn memory_store(name: &str) -> Arc<dyn ObjectStore> {
    static STORES: OnceLock<Mutex<HashMap<String, Arc<InMemory>>>> = OnceLock::new();
    let mut stores = STORES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    stores.entry(name.to_owned()).or_default().clone()
}

/// The `options.config` key that names no setting of this backend.
#[cfg(feature = "remote")]
fn unknown_key(location: &str, key: &str, backend: &str) -> Error {
    Error::InvalidOption(format!(
        "{location}: {key:?} is not a {backend} store setting"
    ))
}

#[cfg(feature = "remote")]
fn client_options(options: &StoreOptions) -> object_store::ClientOptions {
    object_store::ClientOptions::new().with_allow_http(options.allow_http)
}

#[cfg(feature = "aws")]
fn s3(location: &str, url: &StoreUrl, options: &StoreOptions) -> Result<Arc<dyn ObjectStore>> {
    use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
    let mut b = AmazonS3Builder::from_env()
        .with_url(url.url.as_str())
        .with_client_options(client_options(options))
        .with_retry(super::retry::retry_config(options));
    if let Some(region) = &options.region {
        b = b.with_region(region);
    }
    if let Some(endpoint) = &options.endpoint {
        b = b.with_endpoint(endpoint);
    }
    if options.anonymous {
        b = b.with_skip_signature(true);
    }
    for (key, value) in &options.config {
        let k: AmazonS3ConfigKey = key
            .to_ascii_lowercase()
            .parse()
            .map_err(|_| unknown_key(location, key, "S3"))?;
        b = b.with_config(k, value);
    }
    Ok(Arc::new(b.build().map_err(|e| store_error(location, e))?))
}

#[cfg(feature = "gcp")]
fn gcs(location: &str, url: &StoreUrl, options: &StoreOptions) -> Result<Arc<dyn ObjectStore>> {
    use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
    let mut b = GoogleCloudStorageBuilder::from_env()
        .with_url(super::url::gs_url(&url.url))
        .with_client_options(client_options(options))
        .with_retry(super::retry::retry_config(options));
    if options.anonymous {
        b = b.with_skip_signature(true);
    }
    if let Some(endpoint) = &options.endpoint {
        b = b.with_config(GoogleConfigKey::BaseUrl, endpoint);
    }
    for (key, value) in &options.config {
        let k: GoogleConfigKey = key
            .to_ascii_lowercase()
            .parse()
            .map_err(|_| unknown_key(location, key, "GCS"))?;
        b = b.with_config(k, value);
    }
    Ok(Arc::new(b.build().map_err(|e| store_error(location, e))?))
}

#[cfg(feature = "azure")]
fn azure(location: &str, url: &StoreUrl, options: &StoreOptions) -> Result<Arc<dyn ObjectStore>> {
    use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
    let mut b = MicrosoftAzureBuilder::from_env()
        .with_url(url.url.as_str())
        .with_client_options(client_options(options))
        .with_retry(super::retry::retry_config(options))
        .with_allow_http(options.allow_http);
    if let Some(endpoint) = &options.endpoint {
        b = b.with_endpoint(endpoint.clone());
    }
    if options.anonymous {
        b = b.with_skip_signature(true);
    }
    for (key, value) in &options.config {
        let k: AzureConfigKey = key
            .to_ascii_lowercase()
            .parse()
            .map_err(|_| unknown_key(location, key, "Azure"))?;
        b = b.with_config(k, value);
    }
    Ok(Arc::new(b.build().map_err(|e| store_error(location, e))?))
}

#[cfg(feature = "http")]
fn http(location: &str, url: &StoreUrl, options: &StoreOptions) -> Result<Arc<dyn ObjectStore>> {
    use object_store::ClientConfigKey;
    use object_store::http::HttpBuilder;
    // The store is the server; the URL's path is the key inside it.
    let base = &url.url[..url::Position::BeforePath];
    // A plain-http URL names its own scheme: no need to also say allow_http.
    let allow_http = options.allow_http || url.url.scheme().eq_ignore_ascii_case("http");
    let mut b = HttpBuilder::new()
        .with_url(base)
        .with_client_options(object_store::ClientOptions::new().with_allow_http(allow_http))
        .with_retry(super::retry::retry_config(options));
    for (key, value) in &options.config {
        let k: ClientConfigKey = key
            .to_ascii_lowercase()
            .parse()
            .map_err(|_| unknown_key(location, key, "HTTP"))?;
        b = b.with_config(k, value);
    }
    Ok(Arc::new(b.build().map_err(|e| store_error(location, e))?))
}
