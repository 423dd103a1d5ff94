# scalesim as a container image: `docker build -t scalesim .`, then
#   docker run --rm -u "$(id -u):$(id -g)" -v "$PWD:/work" scalesim run scenarios/checkout-spike.yaml
# (see docs/install.md). The image the Kubernetes examples run (examples/kubernetes/).

# Build stage: the release binary, from the committed Cargo.lock (--locked).
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
# No debug symbols in the shipped binary (the release profile keeps them for profiling).
ENV CARGO_PROFILE_RELEASE_DEBUG=0
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin scalesim \
    && cp target/release/scalesim /usr/local/bin/scalesim

# Runtime stage: a small Debian with the one binary, run as an unprivileged user.
FROM debian:bookworm-slim
# uid/gid 10001: above any host's own users; not a --system account (those stop at 999, and
# useradd warns about anything higher).
RUN groupadd --gid 10001 scalesim \
    && useradd --uid 10001 --gid 10001 --create-home --home-dir /home/scalesim scalesim \
    && mkdir /work && chown scalesim:scalesim /work
COPY --from=build /usr/local/bin/scalesim /usr/local/bin/scalesim
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["scalesim"]
CMD ["--help"]
