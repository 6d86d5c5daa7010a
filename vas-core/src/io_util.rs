//! Small I/O helpers shared by the modules that stream bytes.

use std::io::{self, Read};

/// Reads until `buf` is full or the reader is at its end, retrying interrupted reads;
/// returns the number of bytes read (less than `buf.len()` only at the end). A pipe or
/// socket may return less per `read` than asked, so one `read` cannot fill a buffer.
pub(crate) fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
