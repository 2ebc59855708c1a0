//! TLS 1.3 where both ends authenticate with their cosect identities'
//! Ed25519 keys as RFC 7250 raw public keys: no CA, no certificate, the
//! server's key pinned by the client, the client's key checked against the
//! server's peers. On the wire a raw public key is a DER
//! SubjectPublicKeyInfo, 44 bytes for Ed25519: a fixed 12-byte header and
//! the key. The signing is ed25519-dalek's, through the identity's own key
//! (the secret stays in its zeroize-on-drop `SigningKey`).

use std::collections::HashMap;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{AlwaysResolvesClientRawPublicKeys, Resumption};
use rustls::crypto::{verify_tls13_signature_with_raw_key, CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{AlwaysResolvesServerRawPublicKeys, NoServerSessionStorage};
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName, OtherError, ServerConfig, SignatureScheme,
};

use crate::identity::PublicIdentity;

/// DER header of an Ed25519 SubjectPublicKeyInfo (RFC 8410).
const ED25519_SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// A raw Ed25519 public key.
pub type PeerKey = [u8; 32];

fn spki(key: &PeerKey) -> Vec<u8> {
    [&ED25519_SPKI_PREFIX[..], key].concat()
}

/// The key inside an Ed25519 SPKI, or None for anything else.
pub fn key_from_spki(spki: &[u8]) -> Option<PeerKey> {
    spki.strip_prefix(&ED25519_SPKI_PREFIX[..])?.try_into().ok()
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Our identity's Ed25519 key as rustls' signing key.
#[derive(Debug)]
struct Ed25519Key(Arc<SigningKey>);

#[derive(Debug)]
struct Ed25519Signer(Arc<SigningKey>);

impl rustls::sign::SigningKey for Ed25519Key {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn rustls::sign::Signer>> {
        offered
            .contains(&SignatureScheme::ED25519)
            .then(|| Box::new(Ed25519Signer(self.0.clone())) as Box<dyn rustls::sign::Signer>)
    }
    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'_>> {
        Some(SubjectPublicKeyInfoDer::from(spki(self.0.verifying_key().as_bytes())))
    }
    fn algorithm(&self) -> rustls::SignatureAlgorithm {
        rustls::SignatureAlgorithm::ED25519
    }
}

impl rustls::sign::Signer for Ed25519Signer {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        use ed25519_dalek::Signer as _;
        Ok(self.0.sign(message).to_bytes().to_vec())
    }
    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ED25519
    }
}

fn certified(signing: &SigningKey) -> Arc<CertifiedKey> {
    let cert = CertificateDer::from(spki(signing.verifying_key().as_bytes()));
    Arc::new(CertifiedKey::new(
        vec![cert],
        Arc::new(Ed25519Key(Arc::new(signing.clone()))),
    ))
}

/// A refusal carried inside a rustls error, so the caller can say it.
#[derive(Debug)]
pub struct KeyRefused(pub String);
impl std::fmt::Display for KeyRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for KeyRefused {}

fn refuse(msg: String) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(KeyRefused(msg)))))
}

/// Both sides check a TLS 1.3 handshake signature the same way: Ed25519
/// only, with the raw key.
fn verify13(
    algs: &WebPkiSupportedAlgorithms,
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
) -> Result<HandshakeSignatureValid, rustls::Error> {
    if dss.scheme != SignatureScheme::ED25519 {
        return Err(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::NoSignatureSchemesInCommon,
        ));
    }
    verify_tls13_signature_with_raw_key(message, &SubjectPublicKeyInfoDer::from(cert.as_ref()), dss, algs)
}

fn no_tls12() -> Result<HandshakeSignatureValid, rustls::Error> {
    Err(rustls::Error::General("TLS 1.2 is not supported".into()))
}

/// The methods both verifiers share: TLS 1.3 only, Ed25519 only, raw
/// public keys only.
macro_rules! ed25519_raw_key_checks {
    () => {
        fn verify_tls12_signature(
            &self,
            _: &[u8],
            _: &CertificateDer<'_>,
            _: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            no_tls12()
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify13(&self.algs, message, cert, dss)
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            vec![SignatureScheme::ED25519]
        }
        fn requires_raw_public_keys(&self) -> bool {
            true
        }
    };
}

/// The server's check: the client's raw key is one of the peers'. A
/// refused key gets the access_denied alert; a peer's key presented
/// without its proof (the handshake signature fails) is told to
/// `on_bad_proof`: someone claims to be that peer.
pub struct Peers {
    pub keys: HashMap<PeerKey, PublicIdentity>,
    algs: WebPkiSupportedAlgorithms,
    on_bad_proof: Box<dyn Fn(&PeerKey) + Send + Sync>,
}

impl std::fmt::Debug for Peers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Peers({})", self.keys.len())
    }
}

impl ClientCertVerifier for Peers {
    fn offer_client_auth(&self) -> bool {
        true
    }
    fn client_auth_mandatory(&self) -> bool {
        true
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let key = key_from_spki(end_entity)
            .filter(|_| intermediates.is_empty())
            .ok_or_else(|| refuse("the client's key is not a raw Ed25519 key".into()))?;
        if self.keys.contains_key(&key) {
            return Ok(ClientCertVerified::assertion());
        }
        Err(rustls::Error::InvalidCertificate(
            CertificateError::ApplicationVerificationFailure,
        ))
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        no_tls12()
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let r = verify13(&self.algs, message, cert, dss);
        if let (Err(_), Some(key)) = (&r, key_from_spki(cert)) {
            (self.on_bad_proof)(&key);
        }
        r
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
    fn requires_raw_public_keys(&self) -> bool {
        true
    }
}

/// Why a client's handshake failed, as the audit log counts it.
pub fn handshake_failure(e: &(dyn std::error::Error + 'static)) -> &'static str {
    match find_rustls(e) {
        Some(rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure)) => {
            "refused: the key is not among --peers"
        }
        Some(rustls::Error::InvalidCertificate(CertificateError::BadSignature)) => {
            "refused: a peer's key without its proof (impersonation)"
        }
        Some(_) => "refused: the TLS handshake failed",
        None => "the connection closed during the TLS handshake",
    }
}

/// The server's TLS: our raw key, a mandatory client raw key among
/// `peers`, TLS 1.3 only, no session resumption (a resumed session would
/// skip the peers check).
pub fn server_config(
    signing: &SigningKey,
    peers: &[PublicIdentity],
    on_bad_proof: Box<dyn Fn(&PeerKey) + Send + Sync>,
) -> Result<ServerConfig, rustls::Error> {
    let p = provider();
    let verifier = Peers {
        keys: peers.iter().map(|i| (i.ed25519.to_bytes(), i.clone())).collect(),
        algs: p.signature_verification_algorithms,
        on_bad_proof,
    };
    let mut cfg = ServerConfig::builder_with_provider(p)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_cert_resolver(Arc::new(AlwaysResolvesServerRawPublicKeys::new(certified(signing))));
    cfg.session_storage = Arc::new(NoServerSessionStorage {});
    cfg.send_tls13_tickets = 0;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

/// The client's check: the server's raw key is the pinned one.
#[derive(Debug)]
struct Pinned {
    key: PeerKey,
    name: String,
    algs: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match key_from_spki(end_entity) {
            Some(k) if intermediates.is_empty() && k == self.key => Ok(ServerCertVerified::assertion()),
            Some(_) => Err(refuse(format!(
                "the server's key is not the key of {} (--peer): another server answers at that address",
                self.name
            ))),
            None => Err(refuse(
                "the server's key is not a raw Ed25519 key: is it a cosect server?".into(),
            )),
        }
    }
    ed25519_raw_key_checks!();
}

/// The client's TLS: our raw key, the server's pinned, TLS 1.3 only, no
/// SNI, no resumption.
pub fn client_config(signing: &SigningKey, server: &PublicIdentity) -> Result<ClientConfig, rustls::Error> {
    let p = provider();
    let verifier = Pinned {
        key: server.ed25519.to_bytes(),
        name: format!("{} ({})", server.display_name(), server.short_fingerprint()),
        algs: p.signature_verification_algorithms,
    };
    let mut cfg = ClientConfig::builder_with_provider(p)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_client_cert_resolver(Arc::new(AlwaysResolvesClientRawPublicKeys::new(certified(signing))));
    cfg.enable_sni = false;
    cfg.resumption = Resumption::disabled();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

/// A plain sentence for a TLS failure, on either side.
pub fn describe(e: &rustls::Error) -> String {
    use rustls::AlertDescription as A;
    match e {
        rustls::Error::InvalidCertificate(CertificateError::Other(o)) => match o.0.downcast_ref::<KeyRefused>() {
            Some(r) => r.0.clone(),
            None => e.to_string(),
        },
        rustls::Error::AlertReceived(A::AccessDenied) => {
            "the server does not accept your identity (it is not among the server's --peers)".into()
        }
        rustls::Error::AlertReceived(A::CertificateUnknown | A::BadCertificate) => "the server refused your key".into(),
        rustls::Error::AlertReceived(A::UnsupportedCertificate) => {
            "the server does not speak raw-public-key TLS (RFC 7250): is it a cosect server?".into()
        }
        other => format!("TLS failed: {other}"),
    }
}

/// The rustls error in an error's source chain, if any.
pub fn find_rustls<'a>(mut e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    loop {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            if let Some(r) = inner.downcast_ref::<rustls::Error>() {
                return Some(r);
            }
        }
        e = e.source()?;
    }
}
