#!/usr/bin/env bash
# Make sure headless Chromium (Debian package) is there for the browser tests; install it when we can.
# Prints one line either way; never fails the caller (the browser tests say why they skip).
if command -v chromium >/dev/null 2>&1; then
  echo "chromium: $(chromium --version 2>/dev/null | head -1)"
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium: installing the Debian package for the browser tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1) \
    && echo "chromium: $(chromium --version 2>/dev/null | head -1)" \
    || echo "chromium: could not be installed; the browser tests will skip (install with: apt-get install -y chromium)"
else
  echo "chromium: not installed; the browser tests will skip. Install it with: sudo apt-get install -y chromium"
fi
exit 0
