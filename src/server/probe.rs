//! A tiny HTTP probe for container health checks, so runtime images need no curl.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Why a health probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("health-check URL must look like http://host:port/path, got `{0}`")]
    BadUrl(String),
    #[error("cannot reach {0}: {1}")]
    Unreachable(String, std::io::Error),
    #[error("{0} answered `{1}` instead of 200 OK")]
    Unhealthy(String, String),
}

/// GETs an `http://` URL and succeeds on a 200 answer within `timeout`.
pub fn probe(url: &str, timeout: Duration) -> Result<(), ProbeError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| ProbeError::BadUrl(url.to_string()))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let unreachable = |err| ProbeError::Unreachable(url.to_string(), err);
    let address = authority
        .to_socket_addrs()
        .map_err(unreachable)?
        .next()
        .ok_or_else(|| ProbeError::BadUrl(url.to_string()))?;
    let mut stream = TcpStream::connect_timeout(&address, timeout).map_err(unreachable)?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(unreachable)?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(unreachable)?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .map_err(unreachable)?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head).map_err(unreachable)?;
    let status_line = String::from_utf8_lossy(&head[..n]);
    let status_line = status_line.lines().next().unwrap_or("").to_string();
    if status_line.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        Err(ProbeError::Unhealthy(url.to_string(), status_line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_urls_and_closed_ports() {
        assert!(matches!(
            probe("https://x", Duration::from_millis(100)),
            Err(ProbeError::BadUrl(_))
        ));
        // Port 9 (discard) on loopback is closed on test machines.
        assert!(probe("http://127.0.0.1:9/healthz", Duration::from_millis(200)).is_err());
    }
}
