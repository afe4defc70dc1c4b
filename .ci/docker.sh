# Sourced by .ci/run: make a Docker engine answer, and build the images the container tests use.
# Everything persistent lives under /var/lib/rapport-ci so later runs on this machine reuse the
# engine's image store and the debootstrapped base (seconds instead of a minute).

CI_STATE=${RAPPORT_CI_STATE:-/var/lib/rapport-ci}
CI_RUN=/run/rapport-ci
BASE_IMAGE=rapport-base:bookworm
REDIS_IMAGE_LOCAL=rapport-redis:local
APP_IMAGE=rapport:local

docker_answers() {
    docker version >/dev/null 2>&1
}

start_docker_engine() {
    if docker_answers; then
        echo "--- Docker engine already answers at ${DOCKER_HOST:-the default socket}"
        return 0
    fi
    if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1 \
        || ! command -v docker-compose >/dev/null 2>&1; then
        echo "--- installing docker.io, docker-compose and debootstrap (Debian packages)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            docker.io docker-compose debootstrap >/dev/null || return 1
    fi
    mkdir -p "$CI_STATE/docker" "$CI_RUN"
    export DOCKER_HOST="unix://$CI_RUN/docker.sock"
    if ! docker_answers; then
        echo "--- starting dockerd (data in $CI_STATE/docker)"
        dockerd --data-root "$CI_STATE/docker" --exec-root "$CI_RUN/exec" \
            --pidfile "$CI_RUN/dockerd.pid" -H "$DOCKER_HOST" --storage-driver overlay2 \
            >"$CI_RUN/dockerd.log" 2>&1 &
        STARTED_DOCKERD=$!
        for _ in $(seq 1 60); do docker_answers && break; sleep 0.5; done
    fi
    docker_answers || { echo "dockerd did not start; its log:"; tail -20 "$CI_RUN/dockerd.log"; return 1; }
    # No image registry is reachable here, so testcontainers' reaper (an image of its own) can
    # never be pulled; the tests stop their containers themselves.
    export TESTCONTAINERS_RYUK_DISABLED=true
}

stop_docker_engine() {
    if [ -n "${STARTED_DOCKERD:-}" ]; then
        echo "--- stopping dockerd"
        kill "$STARTED_DOCKERD" 2>/dev/null || true
        wait "$STARTED_DOCKERD" 2>/dev/null || true
    fi
}

build_images() {
    if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
        echo "--- building $BASE_IMAGE with debootstrap (about 40 s, once per machine)"
        local root="$CI_STATE/rootfs"
        rm -rf "$root"
        debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,redis-server \
            bookworm "$root" >"$CI_STATE/debootstrap.log" 2>&1 \
            || { tail -20 "$CI_STATE/debootstrap.log"; return 1; }
        tar -C "$root" -c . | docker import - "$BASE_IMAGE" >/dev/null
        rm -rf "$root"
    fi
    # Debian's docker client has BuildKit built in (the newer one may lack the buildx plugin).
    local client=docker
    [ -x /usr/bin/docker ] && client=/usr/bin/docker
    local ca=/etc/ssl/certs/ca-certificates.crt
    echo "--- building $REDIS_IMAGE_LOCAL and $APP_IMAGE"
    DOCKER_BUILDKIT=1 "$client" build -q --build-arg BASE_IMAGE="$BASE_IMAGE" \
        -f deploy/redis.Dockerfile -t "$REDIS_IMAGE_LOCAL" deploy >/dev/null || return 1
    DOCKER_BUILDKIT=1 "$client" build -q --build-arg PYTHON_IMAGE="$BASE_IMAGE" \
        --secret id=extra_ca,src="$ca" -f deploy/Dockerfile -t "$APP_IMAGE" . >/dev/null || return 1
    export RAPPORT_TEST_APP_IMAGE="$APP_IMAGE" RAPPORT_TEST_REDIS_IMAGE="$REDIS_IMAGE_LOCAL"
}
