#!/usr/bin/env bash
# Verify the vendored files against their checksums: the site's static files (static/vendor/VERSIONS)
# and the browser tests' assets (tests/e2e/vendor/VERSIONS).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for VENDOR in static/vendor tests/e2e/vendor; do
  # Comment lines are skipped; --strict fails on malformed lines.
  (cd "$ROOT/$VENDOR" && grep -v '^#' VERSIONS | sha256sum --check --strict --quiet -)
  echo "OK: all vendored files match $VENDOR/VERSIONS"
done
