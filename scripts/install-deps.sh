#!/usr/bin/env bash
# Installs the Debian 12 packages notesd needs to build, run and test. Idempotent: asks
# apt only for what is missing, so a second run does nothing. clang and libclang-rt-14-dev
# (libFuzzer, the sanitizer runtimes) build fuzz/; llvm gives llvm-symbolizer for
# readable sanitizer stacks; clang-format and clang-tidy (both 14) check the code's layout and
# catch bug patterns (scripts/check-format.sh, scripts/check-tidy.sh). libargon2-dev hashes
# Internet passwords (Argon2id; OpenSSL 3.0 has no Argon2). libnet-ssleay-perl is swaks' TLS
# (--tls, --tlsc in the submission tests; only a Recommends of swaks). libldap-dev (liblber)
# is the LDAP task's BER; ldap-utils and python3-ldap3 are the LDAP tests' clients. dpkg-dev (dpkg-shlibdeps), adduser,
# systemd's tools (systemd-analyze; no daemon is enabled or started), man-db and logrotate
# build and check the .deb (scripts/package.sh, tests/integration/test_package.py).
# dovecot-imapd is bench/imap.sh's reference IMAP server: the bench runs a private instance
# (`dovecot -c` with its own config, port and Maildir); the system service is never used.
# slapd is bench/ldap.sh's reference (a private instance of its own; the package's own
# configuration is skipped and its system daemon never enabled or started).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache git
  libssl-dev openssl liblmdb-dev lmdb-utils libboost-dev libcpp-httplib-dev
  nlohmann-json3-dev libcli11-dev libedit-dev libargon2-dev catch2
  python3 python3-cryptography curl swaks gpgsm gpg-agent gpgconf gnupg s-nail
  clang libclang-rt-14-dev llvm clang-format clang-tidy
  libnet-ssleay-perl
  libldap-dev ldap-utils python3-ldap3
  slapd
  dpkg-dev adduser systemd man-db logrotate
  dovecot-imapd
)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
# slapd: no default database (dc=nodomain) in /etc/ldap; bench/ldap.sh runs its own.
echo "slapd slapd/no_configuration boolean true" | $SUDO debconf-set-selections
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Never the system's slapd or Dovecot: the benches start private instances in temporary
# directories, on ports of their own; a daemon the package started is stopped and disabled.
for daemon in slapd dovecot; do
  [[ " ${missing[*]} " == *" ${daemon}"* ]] || continue
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now "$daemon" >/dev/null 2>&1 || true
  elif command -v service >/dev/null; then
    $SUDO service "$daemon" stop >/dev/null 2>&1 || true
  fi
done
