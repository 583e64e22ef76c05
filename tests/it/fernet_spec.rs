//! The Fernet spec's test vectors (github.com/fernet/spec, head versions) against the `fernet`
//! crate as KeyHub builds it (RustCrypto backend), plus the layout of KeyHub's own tokens.

use base64::{engine::general_purpose::URL_SAFE, Engine};
use fernet::Fernet;
use keyhub::vault::{MasterKeys, SecretString};

const SECRET: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
const GENERATED: &str =
    "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==";
/// 1985-10-26T01:20:00-07:00
const NOW: u64 = 499_162_800;

#[test]
fn generate_vector_layout_and_content() {
    let fernet = Fernet::new(SECRET).unwrap();
    // The crate offers no fixed-IV entry point, so the byte-exact token cannot be produced; check
    // that the vector decrypts at its time and that a fresh token has exactly its layout.
    assert_eq!(
        fernet.decrypt_at_time(GENERATED, None, NOW).unwrap(),
        b"hello"
    );
    let expected = URL_SAFE.decode(GENERATED).unwrap();
    let ours = URL_SAFE
        .decode(fernet.encrypt_at_time(b"hello", NOW))
        .unwrap();
    assert_eq!(ours.len(), expected.len());
    assert_eq!(ours[0], 0x80, "version");
    assert_eq!(ours[1..9], expected[1..9], "big-endian timestamp");
    assert_ne!(
        ours[9..25],
        expected[9..25],
        "a random IV, not the vector's fixed one"
    );
}

#[test]
fn verify_vector() {
    let fernet = Fernet::new(SECRET).unwrap();
    assert_eq!(
        fernet
            .decrypt_at_time(GENERATED, Some(60), NOW + 1)
            .unwrap(),
        b"hello"
    );
}

#[test]
fn invalid_vectors_are_all_rejected() {
    // (description, token, now offset from NOW)
    let cases = [
        ("incorrect mac", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykQUFBQUFBQUFBQQ==", 1),
        ("too short", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPA==", 1),
        ("invalid base64", "%%%%%%%%%%%%%AECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==", 1),
        ("payload size not multiple of block size", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPOm73QeoCk9uGib28Xe5vz6oxq5nmxbx_v7mrfyudzUm", 1),
        ("payload padding error", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0ODz4LEpdELGQAad7aNEHbf-JkLPIpuiYRLQ3RtXatOYREu2FWke6CnJNYIbkuKNqOhw==", 1),
        ("far-future TS (unacceptable clock skew)", "gAAAAAAdwStRAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAnja1xKYyhd-Y6mSkTOyTGJmw2Xc2a6kBd-iX9b_qXQcw==", 1),
        ("expired TTL", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==", 91),
        ("incorrect IV (causes padding error)", "gAAAAAAdwJ6xBQECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAkLhFLHpGtDBRLRTZeUfWgHSv49TF2AUEZ1TIvcZjK1zQ==", 1),
    ];
    let fernet = Fernet::new(SECRET).unwrap();
    for (description, token, offset) in cases {
        assert!(
            fernet
                .decrypt_at_time(token, Some(60), NOW + offset)
                .is_err(),
            "{description} was accepted"
        );
    }
}

#[test]
fn the_spec_key_is_refused_as_a_master_key() {
    assert!(MasterKeys::parse(&SecretString::new(SECRET)).is_err());
}
