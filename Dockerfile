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
# Build stages. Dependencies are cached with cargo-chef: `cargo chef prepare` reads every
# manifest of the workspace (the crate, tools/gen-corpus, every declared bench, test and
# example target) into recipe.json, and `cargo chef cook` builds the locked dependencies
# against stub sources it makes from that recipe. Nothing here lists targets or members by
# hand, so adding one cannot break the build; the cook layer is reused until a manifest or
# Cargo.lock changes. scripts/check-dockerfile.sh (run by .ci/run) replays these stages on
# the host.
# ---------------------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /build

# 1. The recipe: the workspace's manifests, without sources.
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

# 2. Dependencies only (cached), then the real crate.
FROM chef AS builder
COPY --from=planner /build/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin inkgraph
COPY . .
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
