#!/usr/bin/env bash
# Machine prerequisites for the test suite that npm cannot install: the Chromium browser used by
# the edge browser test (test/edge/browser.test.ts drives it through playwright-core).
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root (apt-get).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "ci-prereqs: chromium present ($(/usr/bin/chromium --version 2>/dev/null | head -n 1))"
  exit 0
fi

echo "ci-prereqs: installing chromium (Debian package)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q chromium
/usr/bin/chromium --version
