//! TLS for PostgreSQL connections (rustls with ring), as libpq's `sslmode` and
//! `sslrootcert` ask for it:
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | - |
//! | `allow`, `prefer` (the default) | when the server offers it | checked against `sslrootcert` when one is given, else not checked |
//! | `require` | always | as for `prefer` |
//! | `verify-ca` | always | signed by a root of `sslrootcert` |
//! | `verify-full` | always | signed by a root of `sslrootcert` and naming the host |
//!
//! `sslrootcert` is a PEM file of root certificates, or `system` for the platform's
//! roots; `verify-ca` and `verify-full` without it use `~/.postgresql/root.crt`, as
//! libpq does, and are an error when that file is missing. `allow` tries TLS first
//! (libpq tries plain text first); either way the connection is made when the server
//! allows it. Unix-socket connections never use TLS.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use iterable_core::{Error, Result};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verify {
    /// Nothing: the connection is encrypted, the server not authenticated.
    Nothing,
    /// The chain up to a trusted root, not the host name.
    Chain,
    /// The chain and the host name.
    Full,
}

/// The TLS a connection asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsPlan {
    pub mode: SslMode,
    pub verify: Verify,
    /// `sslrootcert`: a PEM file, or `system`.
    pub roots: Option<String>,
}

impl TlsPlan {
    /// The plan of `sslmode` and `sslrootcert` (`home` for the default root file);
    /// `display` names the location in errors.
    pub(crate) fn new(
        sslmode: Option<&str>,
        sslrootcert: Option<&str>,
        home: Option<&Path>,
        display: &str,
    ) -> Result<Self> {
        let given = sslrootcert.map(str::to_owned);
        let (mode, verify) = match sslmode.unwrap_or("prefer") {
            "disable" => (SslMode::Disable, Verify::Nothing),
            "allow" | "prefer" => (SslMode::Prefer, checked_if(&given)),
            "require" => (SslMode::Require, checked_if(&given)),
            "verify-ca" => (SslMode::Require, Verify::Chain),
            "verify-full" => (SslMode::Require, Verify::Full),
            other => {
                return Err(invalid(
                    display,
                    &format!(
                        "sslmode={other} is not one of disable, allow, prefer, require, \
                         verify-ca, verify-full"
                    ),
                ));
            }
        };
        let roots = match given {
            Some(roots) => Some(roots),
            None if verify != Verify::Nothing => {
                let default = home.map(|h| h.join(".postgresql").join("root.crt"));
                match default.filter(|f| f.is_file()) {
                    Some(file) => Some(file.display().to_string()),
                    None => {
                        return Err(invalid(
                            display,
                            &format!(
                                "sslmode={} checks the server's certificate, and no root \
                                 certificate is given: set sslrootcert=FILE (PEM), \
                                 sslrootcert=system, or put the roots in \
                                 ~/.postgresql/root.crt",
                                sslmode.unwrap_or_default()
                            ),
                        ));
                    }
                }
            }
            None => None,
        };
        Ok(Self {
            mode,
            verify,
            roots,
        })
    }

    /// The connector that makes TLS sessions as planned.
    pub(crate) fn connector(&self, display: &str) -> Result<MakeRustlsConnect> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(display, &format!("TLS: {e}")))?;
        let verifier: Arc<dyn ServerCertVerifier> = match self.verify {
            Verify::Nothing => Arc::new(AnyCertificate(provider)),
            verify => {
                let roots = self.root_store(display)?;
                let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(|e| invalid(display, &format!("TLS roots: {e}")))?;
                if verify == Verify::Full {
                    webpki
                } else {
                    Arc::new(ChainOnly(webpki))
                }
            }
        };
        let config = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(MakeRustlsConnect::new(config))
    }

    fn root_store(&self, display: &str) -> Result<RootCertStore> {
        let mut store = RootCertStore::empty();
        match self.roots.as_deref() {
            Some("system") => {
                let found = rustls_native_certs::load_native_certs();
                let (added, _) = store.add_parsable_certificates(found.certs);
                if added == 0 {
                    return Err(invalid(
                        display,
                        "sslrootcert=system: the platform has no root certificates",
                    ));
                }
            }
            Some(file) => {
                let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(file)
                    .and_then(|certs| certs.collect())
                    .map_err(|e| invalid(display, &format!("sslrootcert {file}: {e}")))?;
                let (added, _) = store.add_parsable_certificates(certs);
                if added == 0 {
                    return Err(invalid(
                        display,
                        &format!("sslrootcert {file}: no certificate in it"),
                    ));
                }
            }
            None => {}
        }
        Ok(store)
    }
}

/// libpq checks the chain under `prefer` and `require` when a root file is given.
fn checked_if(roots: &Option<String>) -> Verify {
    if roots.is_some() {
        Verify::Chain
    } else {
        Verify::Nothing
    }
}

fn invalid(display: &str, message: &str) -> Error {
    Error::InvalidOption(format!("{display}: {message}"))
}

/// The home folder, for `~/.postgresql/root.crt`.
pub(crate) fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

/// Accepts any certificate, still checking that the server holds its key (the
/// handshake's signatures): encryption without authentication, as libpq's `require`.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The chain checked up to a trusted root, the host name not (libpq's `verify-ca`).
/// The web PKI verifier checks the chain before the name, so a name error means the
/// chain was good.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_decides_tls_and_what_is_checked() {
        let plan = |mode: Option<&str>, roots: Option<&str>| TlsPlan::new(mode, roots, None, "db");
        let p = plan(None, None).unwrap();
        assert_eq!((p.mode, p.verify), (SslMode::Prefer, Verify::Nothing));
        let p = plan(Some("disable"), None).unwrap();
        assert_eq!(p.mode, SslMode::Disable);
        let p = plan(Some("require"), Some("ca.pem")).unwrap();
        assert_eq!((p.mode, p.verify), (SslMode::Require, Verify::Chain));
        let p = plan(Some("verify-full"), Some("system")).unwrap();
        assert_eq!(
            (p.verify, p.roots.as_deref()),
            (Verify::Full, Some("system"))
        );
        let err = plan(Some("verify-ca"), None).unwrap_err().to_string();
        assert!(err.contains("sslrootcert=FILE"), "{err}");
        let err = plan(Some("required"), None).unwrap_err().to_string();
        assert!(err.contains("sslmode=required is not one of"), "{err}");
    }
}
