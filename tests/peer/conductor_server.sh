#!/usr/bin/env bash
# A real Conductor OSS server as a test peer: resolved from Maven Central with Maven, run on 127.0.0.1 with
# SQLite for everything (metadata, executions, queues, index) in a directory of its own.
#
#   conductor_server.sh check                 which release, JDK and Maven would be used (exit 3: cannot run here)
#   conductor_server.sh fetch                 resolve the release with Maven (cached in the local repository)
#   conductor_server.sh run   DIR [PORT]      write DIR/application.properties, then exec the server (foreground)
#   conductor_server.sh start DIR [PORT]      the same in the background; waits for /health, prints the API url
#   conductor_server.sh stop  DIR             stops the server started by `start DIR`
#
# Nothing is built from Conductor's source: the release's executable `boot` jar (the server with every
# dependency inside, as Conductor publishes it) is resolved by `mvn dependency:get` into the local repository
# (~/.m2/repository, or $CONDUCTOR_PEER_M2), where later runs find it without touching the network.
#
# Environment: CONDUCTOR_PEER_VERSION (a release below, or any other to try), CONDUCTOR_PEER_JAVA (the java
# binary to use), CONDUCTOR_PEER_M2 (the local repository), CONDUCTOR_PEER_BOOT_TIMEOUT (seconds, default 240),
# CONDUCTOR_PEER_FETCH_TIMEOUT (seconds, default 900).
set -euo pipefail

GROUP=org.conductoross
ARTIFACT=conductor-server
# Releases newest first, each with the Java it needs (its jar's Build-Jdk-Spec). 3.32.3 is compiled for
# Java 21 (class files 65). 3.21.14, for Java 17, boots with SQLite too but has no POST /workflow/execute (the
# SDK's execute and the examples need it), so it is no usable peer: without Java 21 the peer is skipped.
RELEASES=("3.32.3:21")

M2="${CONDUCTOR_PEER_M2:-$HOME/.m2/repository}"
BOOT_TIMEOUT="${CONDUCTOR_PEER_BOOT_TIMEOUT:-240}"
FETCH_TIMEOUT="${CONDUCTOR_PEER_FETCH_TIMEOUT:-900}"

say() { echo "[conductor-peer] $*" >&2; }
die() { say "$1"; exit "${2:-1}"; }

java_major() {  # the feature version of a java binary (17, 21, 25), or nothing
    { "$1" -version 2>&1 || true; } | sed -n 's/.*version "\([0-9][0-9]*\)[."].*/\1/p' | head -1
}

candidate_javas() {  # CONDUCTOR_PEER_JAVA alone when it is set
    if [ -n "${CONDUCTOR_PEER_JAVA:-}" ]; then echo "$CONDUCTOR_PEER_JAVA"; return 0; fi
    [ -n "${JAVA_HOME:-}" ] && echo "$JAVA_HOME/bin/java"
    command -v java 2>/dev/null || true
    if command -v update-alternatives >/dev/null 2>&1; then update-alternatives --list java 2>/dev/null || true; fi
    for j in /usr/lib/jvm/*/bin/java; do [ -x "$j" ] && echo "$j"; done
    return 0
}

find_java() {  # $1: the least feature version; prints the newest java binary at or above it
    local need="$1" best="" best_major=0 j m
    while read -r j; do
        [ -x "$j" ] || continue
        m="$(java_major "$j")"
        [ -n "$m" ] || continue
        if [ "$m" -ge "$need" ] && [ "$m" -gt "$best_major" ]; then best="$j"; best_major="$m"; fi
    done < <(candidate_javas)
    [ -n "$best" ] && echo "$best"
}

choose() {  # sets VERSION and JAVA: the newest release some JDK here can run
    local entry v need j
    local wanted="${CONDUCTOR_PEER_VERSION:-}"
    for entry in "${RELEASES[@]}"; do
        v="${entry%%:*}"; need="${entry##*:}"
        if [ -n "$wanted" ] && [ "$wanted" != "$v" ]; then continue; fi
        if j="$(find_java "$need")"; then VERSION="$v"; JAVA="$j"; return 0; fi
        say "release $v needs Java $need or newer; none found"
    done
    if [ -n "$wanted" ] && [ -z "${VERSION:-}" ]; then
        # A release not in the table: try it with the newest JDK there is.
        if j="$(find_java 1)"; then VERSION="$wanted"; JAVA="$j"; return 0; fi
    fi
    return 1
}

jar_path() { echo "$M2/${GROUP//.//}/$ARTIFACT/$1/$ARTIFACT-$1-boot.jar"; }

check() {
    command -v mvn >/dev/null 2>&1 || die "no Maven (mvn) on PATH: cannot resolve Conductor from Maven Central" 3
    local needs="${RELEASES[*]}"
    choose || die "no JDK new enough for Conductor (release:Java ${needs}); looked at ${CONDUCTOR_PEER_JAVA:-JAVA_HOME, PATH, update-alternatives, /usr/lib/jvm}" 3
    JAR="$(jar_path "$VERSION")"
}

fetch() {
    check
    if [ -s "$JAR" ]; then
        say "Conductor $VERSION found in the local Maven repository ($JAR)"
    else
        say "resolving $GROUP:$ARTIFACT:$VERSION:jar:boot from Maven Central (about 450 MB, once; cached in $M2)"
        local started=$SECONDS
        timeout "$FETCH_TIMEOUT" mvn -B -ntp -Dmaven.repo.local="$M2" \
            org.apache.maven.plugins:maven-dependency-plugin:3.6.1:get \
            -Dartifact="$GROUP:$ARTIFACT:$VERSION:jar:boot" -Dtransitive=false >&2 \
            || die "mvn could not resolve $GROUP:$ARTIFACT:$VERSION:jar:boot" 4
        [ -s "$JAR" ] || die "mvn finished but $JAR is missing" 4
        say "resolved in $((SECONDS - started)) s: $(du -h "$JAR" | cut -f1)"
    fi
}

write_config() {  # $1: DIR, $2: PORT
    local dir="$1" port="$2"
    cat >"$dir/application.properties" <<EOF
# Conductor $VERSION as a test peer: this machine only, SQLite for everything, nothing reaching out.
server.address=127.0.0.1
server.port=$port
spring.datasource.url=jdbc:sqlite:$dir/conductor.db?busy_timeout=15000&journal_mode=WAL
conductor.db.type=sqlite
conductor.queue.type=sqlite
conductor.indexing.type=sqlite
conductor.indexing.enabled=true
conductor.elasticsearch.version=0
conductor.workflow-execution-lock.type=local_only
conductor.app.workflow-execution-lock-enabled=true
conductor.app.workflow.name-validation.enabled=false
conductor.app.ownerEmailMandatory=false
# No gRPC port, no scheduler, no AI workers, no metrics registries: only the REST API on 127.0.0.1.
conductor.grpc-server.enabled=false
conductor.scheduler.enabled=false
conductor.integrations.ai.enabled=false
conductor.metrics-prometheus.enabled=false
loadSample=false
management.endpoints.web.exposure.include=health
EOF
}

run() {  # exec the server in the foreground
    local dir="${1:?usage: run DIR [PORT]}" port="${2:-8080}"
    fetch
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    write_config "$dir" "$port"
    say "starting Conductor $VERSION with $JAVA (Java $(java_major "$JAVA")) on http://127.0.0.1:$port/api, data in $dir"
    cd "$dir"
    exec "$JAVA" -Xms128m -Xmx1g -Djava.awt.headless=true \
        --enable-native-access=ALL-UNNAMED \
        -jar "$JAR" --spring.config.additional-location="file:$dir/application.properties"
}

start() {  # run in the background, wait until healthy
    local dir="${1:?usage: start DIR [PORT]}" port="${2:-8080}"
    fetch
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    "$0" run "$dir" "$port" >"$dir/server.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$dir/server.pid"
    local started=$SECONDS
    until curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || { tail -20 "$dir/server.log" >&2; die "the server exited; log: $dir/server.log"; }
        [ $((SECONDS - started)) -lt "$BOOT_TIMEOUT" ] || { kill "$pid"; die "not healthy after $BOOT_TIMEOUT s"; }
        sleep 1
    done
    say "healthy after $((SECONDS - started)) s (pid $pid)"
    echo "http://127.0.0.1:$port/api"
}

stop() {
    local dir="${1:?usage: stop DIR}" pid
    pid="$(cat "$dir/server.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || { rm -f "$dir/server.pid"; return 0; }; sleep 1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/server.pid"
}

case "${1:-}" in
    check) check; echo "release=$VERSION java=$JAVA java_version=$(java_major "$JAVA") mvn=$(command -v mvn) jar=$JAR" ;;
    fetch) fetch; echo "$JAR" ;;
    run) shift; run "$@" ;;
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
