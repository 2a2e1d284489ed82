#!/usr/bin/env bash
# A current librdkafka (2.12+: the KIP-848 consumer protocol) for tests, built from the source the
# npm package @confluentinc/kafka-javascript ships (the npm registry is all this needs), into
# .cache/librdkafka (the library and rdkafka.h, for small C clients the tests build, e.g. its share
# consumer). Debian's confluent-kafka loads it with LD_LIBRARY_PATH; nothing else uses it.
# Needs gcc, make, and the libssl-dev and zlib1g-dev headers.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=@confluentinc/kafka-javascript@1.10.1
DEST=.cache/librdkafka
if [ -f "$DEST/include/librdkafka/rdkafka.h" ] && [ -f "$DEST/.from" ] && [ "$(cat "$DEST/.from")" = "$PKG" ]; then exit 0; fi
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
echo "building librdkafka from $PKG (a minute or two)" >&2
(cd "$TMP" && npm pack --silent "$PKG" >/dev/null && tar xzf ./*.tgz)
SRC="$TMP/package/deps/librdkafka"
(cd "$SRC" && ./configure --disable-gssapi --disable-zstd --disable-lz4-ext --disable-curl >"$TMP/configure.log" 2>&1 \
  && make -j"$(nproc)" libs >"$TMP/make.log" 2>&1) || { tail -20 "$TMP"/*.log >&2; exit 1; }
rm -rf "$DEST" && mkdir -p "$DEST"
cp "$SRC/src/librdkafka.so.1" "$DEST/" && ln -s librdkafka.so.1 "$DEST/librdkafka.so"
mkdir -p "$DEST/include/librdkafka" && cp "$SRC/src/rdkafka.h" "$DEST/include/librdkafka/"
echo "$PKG" > "$DEST/.from"
grep -m1 'define RD_KAFKA_VERSION ' "$SRC/src/rdkafka.h" >&2
