#!/bin/sh
# A self-signed certificate for localhost (compose's nginx); replace with the hospital's own.
# Writes deploy/tls/ (compose mounts it), or the directory given (the tests' private nginx).
set -eu
out="${1:-$(dirname "$0")/tls}"
mkdir -p "$out"
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$out/key.pem" -out "$out/cert.pem"
echo "wrote $out/cert.pem and key.pem"
