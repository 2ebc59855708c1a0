//! Integer vectors stored as one CBOR byte string (little-endian), not as
//! an array of integers: compact, and read back in one piece rather than
//! element by element.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

macro_rules! le_vec {
    ($name:ident, $t:ty) => {
        pub mod $name {
            use super::*;
            const W: usize = std::mem::size_of::<$t>();

            pub fn serialize<S: Serializer>(v: &[$t], s: S) -> Result<S::Ok, S::Error> {
                let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                serde_bytes::serialize(&bytes, s)
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<$t>, D::Error> {
                let bytes = serde_bytes::ByteBuf::deserialize(d)?;
                if bytes.len() % W != 0 {
                    return Err(D::Error::custom("integer vector of a partial length"));
                }
                Ok(bytes
                    .chunks_exact(W)
                    .map(|c| <$t>::from_le_bytes(c.try_into().expect("chunks_exact gives W bytes")))
                    .collect())
            }
        }
    };
}

le_vec!(u32s, u32);
le_vec!(u64s, u64);

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct T {
        #[serde(with = "super::u32s")]
        a: Vec<u32>,
        #[serde(with = "super::u64s")]
        b: Vec<u64>,
    }

    #[test]
    fn round_trip_and_refusal() {
        let t = T {
            a: vec![0, 1, u32::MAX],
            b: vec![7, u64::MAX],
        };
        let mut buf = Vec::new();
        ciborium::into_writer(&t, &mut buf).unwrap();
        assert_eq!(ciborium::from_reader::<T, _>(&buf[..]).unwrap(), t);
        // A byte string of 5 bytes is no vector of u32.
        let mut bad = Vec::new();
        #[derive(serde::Serialize)]
        struct B {
            #[serde(with = "serde_bytes")]
            a: Vec<u8>,
            #[serde(with = "super::u64s")]
            b: Vec<u64>,
        }
        ciborium::into_writer(
            &B {
                a: vec![0; 5],
                b: vec![],
            },
            &mut bad,
        )
        .unwrap();
        assert!(ciborium::from_reader::<T, _>(&bad[..]).is_err());
    }
}
