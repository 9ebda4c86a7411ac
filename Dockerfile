# inkgraph: a GraphQL content API over a Jekyll-style blog folder.
#
#   docker build -t inkgraph .
#   docker run --rm -p 8000:8000 inkgraph                                  # the bundled sample blog
#   docker run --rm -p 8000:8000 -v "$PWD/my-blog:/content:ro" inkgraph    # your blog, read-only
#
# The image bundles the repository's sample blog (content/) at /content as a default so it
# runs out of the box; mount your own blog read-only over /content to serve it. Other
# subcommands run the same way, e.g. `docker run --rm -v "$PWD/my-blog:/content:ro" inkgraph check`.
# Settings are the INKGRAPH_* environment variables (see `inkgraph serve --help`).
#
# If you change the listening port with INKGRAPH_LISTEN, point the health check at it too:
#   --health-cmd 'inkgraph healthcheck --url http://127.0.0.1:PORT/healthz'

ARG RUST_VERSION=1

# ---------------------------------------------------------------------------------------------
# Build stage
# ---------------------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-bookworm AS builder
WORKDIR /build

# 1. Dependencies only. Build the locked dependency graph against stub sources, so this
#    (slow) layer is reused until Cargo.toml or Cargo.lock changes. benches/load.rs must exist
#    because Cargo.toml declares the `load` bench and cargo checks targets when it reads the
#    manifest. Then forget the stub crate, so the real sources below are always compiled
#    whatever their timestamps (COPY keeps the build context's mtimes, which can be older
#    than the stubs').
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
 && echo 'fn main() {}' > src/main.rs \
 && : > src/lib.rs \
 && echo 'fn main() {}' > benches/load.rs \
 && cargo build --release --locked --bin inkgraph \
 && rm -rf src benches target/release/.fingerprint/inkgraph-* \
           target/release/deps/inkgraph-* target/release/deps/libinkgraph-* \
           target/release/inkgraph target/release/libinkgraph.*

# 2. The real crate.
COPY src ./src
COPY benches ./benches
RUN cargo build --release --locked --bin inkgraph \
 && install -D -m 0755 target/release/inkgraph /out/inkgraph \
 && /out/inkgraph --version

# 3. The sample blog, made world-readable whatever the permissions in the build context,
#    so the unprivileged runtime user can read it.
COPY content /out/content
RUN chmod -R u=rwX,go=rX /out/content

# ---------------------------------------------------------------------------------------------
# Runtime stage: Debian 12's glibc, the same as the build stage's.
# ---------------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

LABEL org.opencontainers.image.title="inkgraph" \
      org.opencontainers.image.description="A fast GraphQL content API over a Jekyll-style blog folder" \
      org.opencontainers.image.licenses="MIT"

RUN groupadd --gid 10001 inkgraph \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin inkgraph

COPY --from=builder /out/inkgraph /usr/local/bin/inkgraph
# Default content; mount your blog read-only over it (-v /path/to/blog:/content:ro).
COPY --from=builder /out/content /content

# NO_COLOR: plain log lines (no ANSI colour codes) for `docker logs` and log collectors.
ENV INKGRAPH_LISTEN=0.0.0.0:8000 \
    INKGRAPH_CONTENT=/content \
    NO_COLOR=1

USER 10001:10001
EXPOSE 8000
# Declared after the COPY above so an anonymous volume starts with the sample blog.
VOLUME /content

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["inkgraph", "healthcheck"]

ENTRYPOINT ["inkgraph"]
CMD ["serve"]
