use std::fmt;

use zeroize::Zeroizing;

/// A plaintext secret (a provider key, a master key). It never prints itself, and its memory is
/// wiped when it is dropped. The only way to the text is [`SecretString::expose`], so every place
/// that touches plaintext is greppable.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        SecretString(Zeroizing::new(value.into()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        SecretString::new(value)
    }
}

/// Request bodies (the REST API's `api_key`) deserialize straight into a secret, so the request type
/// redacts it too. There is deliberately no `Serialize`.
impl<'de> serde::Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(SecretString::new)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString([redacted])")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = SecretString::new("sk-test-CANARY-1234567890");
        let printed = format!("{secret:?} {secret} {:#?}", Some(&secret));
        assert!(!printed.contains("CANARY"), "{printed}");
        assert!(printed.contains("redacted"));
        assert_eq!(secret.expose(), "sk-test-CANARY-1234567890");
    }
}
