//! [`Body`]: the bytes of a message, request or object.

use std::fmt;

use base64::Engine as _;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The payload of an HTTP request or response, a queue or topic message, or an object.
///
/// It is cheap to clone (reference counted). In JSON it is written as a string when it is valid
/// UTF-8 and as `{"base64": "..."}` otherwise, so binary payloads survive a round trip.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Body(Bytes);

impl Body {
    /// An empty body.
    pub fn empty() -> Self {
        Self(Bytes::new())
    }

    /// A body holding the JSON encoding of `value`.
    ///
    /// # Errors
    /// Fails if `value` cannot be serialised to JSON.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::to_vec(value).map(Self::from)
    }

    /// Parses the body as JSON.
    ///
    /// # Errors
    /// Fails if the body is not valid JSON for `T`.
    pub fn to_json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.0)
    }

    /// The body as UTF-8 text, if it is.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Consumes the body, returning its bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the body has no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The body encoded as standard base64.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.0)
    }

    /// Decodes a standard base64 string.
    ///
    /// # Errors
    /// Fails if `text` is not valid base64.
    pub fn from_base64(text: &str) -> Result<Self, base64::DecodeError> {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(Self::from)
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(text) => write!(f, "Body({text:?})"),
            None => write!(f, "Body(<{} bytes>)", self.0.len()),
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Self(bytes)
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes.into())
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Self(text.into())
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Self(Bytes::from_static(text.as_bytes()))
    }
}

impl From<&'static [u8]> for Body {
    fn from(bytes: &'static [u8]) -> Self {
        Self(Bytes::from_static(bytes))
    }
}

impl From<Body> for Bytes {
    fn from(body: Body) -> Self {
        body.0
    }
}

impl AsRef<[u8]> for Body {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum BodyRepr {
    Text(String),
    Binary { base64: String },
}

impl Serialize for Body {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.as_str() {
            Some(text) => serializer.serialize_str(text),
            None => BodyRepr::Binary {
                base64: self.to_base64(),
            }
            .serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match BodyRepr::deserialize(deserializer)? {
            BodyRepr::Text(text) => Ok(Self::from(text)),
            BodyRepr::Binary { base64 } => {
                Self::from_base64(&base64).map_err(serde::de::Error::custom)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_binary_bodies_survive_a_json_round_trip() {
        for body in [Body::from("héllo"), Body::from(vec![0xff, 0x00, 0x10])] {
            let json = serde_json::to_string(&body).expect("serialise");
            let back: Body = serde_json::from_str(&json).expect("deserialise");
            assert_eq!(back, body);
        }
        assert_eq!(
            serde_json::to_string(&Body::from(vec![0xff]))
                .ok()
                .as_deref(),
            Some(r#"{"base64":"/w=="}"#)
        );
    }
}
