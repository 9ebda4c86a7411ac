//! Response-cache hits taken compressed come from the variants stored with the answer
//! (issue #20 item 5): same bytes once decoded, same ETag, the right headers.

use crate::http_support::TestServer;
use axum::http::header;
use inkgraph::server::HttpConfig;
use std::io::Read;

#[tokio::test]
async fn compressed_hits_decode_to_the_plain_answer() {
    let server = TestServer::sample(&HttpConfig::default());
    let query = [(
        "query",
        "{ posts(first: 20) { nodes { title description url date tags { name } } } }",
    )];
    let plain = server.get(&query, &[]).await;
    assert!(plain.body.len() > 1024, "the test needs a large answer");
    for (encoding, decode) in [
        (
            "br",
            (|b: &[u8]| {
                let mut out = Vec::new();
                brotli::Decompressor::new(b, 4096)
                    .read_to_end(&mut out)
                    .expect("brotli");
                out
            }) as fn(&[u8]) -> Vec<u8>,
        ),
        ("gzip", |b: &[u8]| {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(b)
                .read_to_end(&mut out)
                .expect("gzip");
            out
        }),
    ] {
        // Twice: the first compressed hit makes the variant, the second reuses it.
        for _ in 0..2 {
            let reply = server.get(&query, &[("accept-encoding", encoding)]).await;
            assert_eq!(reply.header("x-inkgraph-cache"), "hit");
            assert_eq!(reply.header(header::CONTENT_ENCODING), encoding);
            assert!(reply.header(header::VARY).contains("accept-encoding"));
            assert_eq!(reply.header(header::ETAG), plain.header(header::ETAG));
            assert_eq!(decode(&reply.body), plain.body, "{encoding}");
        }
    }
    let refused = server
        .get(&query, &[("accept-encoding", "br;q=0, identity")])
        .await;
    assert_eq!(refused.header(header::CONTENT_ENCODING), "");
    assert_eq!(refused.body, plain.body);
}
