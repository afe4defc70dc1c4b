# A Redis image from a local Debian base that has redis-server (CI builds the base with
# debootstrap because no registry is reachable there). Users pull redis:7-alpine instead.
ARG BASE_IMAGE=rapport-base:bookworm
FROM ${BASE_IMAGE}
EXPOSE 6379
CMD ["redis-server", "--protected-mode", "no", "--bind", "0.0.0.0", "--dir", "/tmp"]
