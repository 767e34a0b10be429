#!/bin/sh
# A self-signed certificate for localhost (compose's nginx); replace with the hospital's own.
set -eu
cd "$(dirname "$0")"
mkdir -p tls
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout tls/key.pem -out tls/cert.pem
echo "wrote $(pwd)/tls/cert.pem and key.pem"
