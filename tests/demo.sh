#!/bin/bash
# tests/demo.sh - pam_jwt's main job, end to end, run by `make demo`.
#
# As root on a fresh Debian 12: installs the packages it needs, builds the
# module into a temporary directory, and authenticates three times through
# the real libpam (pam_authenticate on a service file of its own):
#   a freshly minted token      -> PAM_SUCCESS
#   a forged token              -> PAM_AUTH_ERR
#   an expired token            -> PAM_AUTH_ERR
# showing the module's log line for each.  Nothing on the machine changes:
# no file in /etc/pam.d, no account (a pretend user comes from nss_wrapper),
# no syslog (pam_wrapper shows the log lines here instead), and the
# temporary directory, build included, is removed at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
PY=/usr/bin/python3
PACKAGES="build-essential pkg-config libpam0g-dev libjwt-dev libsodium-dev
  libjansson-dev libssl-dev python3 python3-jwt python3-cryptography
  libnss-wrapper libpam-wrapper"

if [ -t 1 ]; then
	B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' D=$'\e[2m' N=$'\e[0m'
else
	B='' G='' R='' D='' N=''
fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
say() { printf '   %s\n' "$*"; }

TMP=$(mktemp -d /tmp/pam_jwt-demo.XXXXXX)
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

printf '%spam_jwt demo: a JSON Web Token as the password, through the real libpam%s\n' "$B" "$N"

step "1. Packages"
missing=
for p in $PACKAGES; do
	dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed ||
		missing="$missing $p"
done
if [ "$(id -u)" -eq 0 ]; then
	say "apt-get update and install:"
	# shellcheck disable=SC2086
	say "${D}$(printf '%s ' $PACKAGES)${N}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >"$TMP/apt.log" 2>&1 || { cat "$TMP/apt.log"; exit 1; }
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $PACKAGES >>"$TMP/apt.log" 2>&1 ||
		{ cat "$TMP/apt.log"; exit 1; }
	say "done"
elif [ -n "${missing// /}" ]; then
	echo "demo: missing packages: $missing" >&2
	echo "demo: run it as root (it installs them with apt-get)" >&2
	exit 1
else
	say "all present (not root, so no apt-get)"
fi

step "2. Build (into a temporary directory, removed at the end)"
BUILD=$TMP/build
say "make module, and tests/pam_driver.c: a small PAM application that"
say "answers the module's prompt and prints what pam_authenticate returned"
if ! make -s -j2 BUILD="$BUILD" module "$BUILD/pam_driver" >"$TMP/make.log" 2>&1; then
	cat "$TMP/make.log"
	exit 1
fi
say "$BUILD/pam_jwt.so"

step "3. A throw-away world in $TMP"
mkdir -m 700 "$TMP/keys" "$TMP/pam.d" "$TMP/nss" "$TMP/wrap"
(umask 077 && $PY -c 'import secrets, string
a = string.ascii_letters + string.digits + "-_"
print("".join(secrets.choice(a) for _ in range(64)))' >"$TMP/keys/secret")
(umask 077 && $PY -c 'import secrets; print(secrets.token_urlsafe(48))' \
	>"$TMP/keys/attacker-secret")
say "a fresh HMAC secret, 64 random printable bytes, mode 0600:"
say "    $TMP/keys/secret"
cat >"$TMP/pam.d/jwt-demo" <<EOF
auth required $BUILD/pam_jwt.so secret_file=$TMP/keys/secret
EOF
# an empty "other" keeps libpam from complaining that it has none
echo "auth required pam_deny.so" >"$TMP/pam.d/other"
cp "$TMP/pam.d/other" "$TMP/wrap/other"
say "a PAM service 'jwt-demo' (read from there by pam_start_confdir):"
say "    $(cat "$TMP/pam.d/jwt-demo")"
printf 'alice:x:1001:1001:Alice:/home/alice:/bin/sh\n' >"$TMP/nss/passwd"
printf 'alice:x:1001:\n' >"$TMP/nss/group"
say "a pretend account alice (uid 1001), seen only by this demo (nss_wrapper)"

# mint SECRET_FILE EXP_OFFSET: a token for alice, with PyJWT
mint() {
	$PY - "$1" "$2" <<'EOF'
import sys, time, jwt
key = open(sys.argv[1], "rb").read().rstrip(b"\n")
now = int(time.time())
print(jwt.encode({"sub": "alice", "iss": "demo-issuer", "iat": now,
                  "exp": now + int(sys.argv[2])}, key, algorithm="HS256"))
EOF
}

# authenticate TITLE TOKEN EXPECTED
fails=0
authenticate() {
	local title=$1 token=$2 want=$3 out err result
	printf '\n   %s%s%s\n' "$B" "$title" "$N"
	say "token: ${token:0:48}...${token: -12}"
	say "       header ${D}$(printf '%s' "${token%%.*}" | base64 -d 2>/dev/null || true)${N}"
	out=$(env LD_PRELOAD="libnss_wrapper.so libpam_wrapper.so" \
		NSS_WRAPPER_PASSWD="$TMP/nss/passwd" NSS_WRAPPER_GROUP="$TMP/nss/group" \
		PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$TMP/wrap" PAM_WRAPPER_DEBUGLEVEL=2 \
		"$BUILD/pam_driver" "$TMP/pam.d" jwt-demo alice "$token" 2>"$TMP/err")
	err=$(cat "$TMP/err")
	result=${out#result=}
	result=${result%% *}
	say "the module asked:   $(grep '^prompt:' <<<"$err" | sed 's/^prompt: //' | paste -sd ' ')"
	if [ "$result" = "$want" ]; then
		say "pam_authenticate:   ${G}${result}${N}"
	else
		say "pam_authenticate:   ${R}${result} (expected ${want})${N}"
		fails=$((fails + 1))
	fi
	grep -o 'SYSLOG([0-9]): .*' <<<"$err" | sed -e 's/^SYSLOG(6): /info:   /' \
		-e 's/^SYSLOG(5): /notice: /' -e 's/^SYSLOG(3): /err:    /' \
		-e 's/^SYSLOG(\([0-9]\)): /prio \1: /' |
		while IFS= read -r line; do say "module log:         $line"; done || true
	# what pam_jwt(8) promises about the log: one line per decision,
	# never the token, its signature or the secret
	if [ "$(grep -c 'SYSLOG([0-9]): \(accepted\|rejected\)' <<<"$err")" != 1 ]; then
		say "${R}expected exactly one decision line${N}"
		fails=$((fails + 1))
	fi
	if grep -qF -e "$token" -e "${token##*.}" -e "$(cat "$TMP/keys/secret")" <<<"$err"; then
		say "${R}the log shows the token, its signature or the secret${N}"
		fails=$((fails + 1))
	fi
}

step "4. Three logins as alice through libpam"
authenticate "A freshly minted token (HS256, expires in 5 minutes)" \
	"$(mint "$TMP/keys/secret" 300)" PAM_SUCCESS
authenticate "A forged token: the same claims, signed with another secret" \
	"$(mint "$TMP/keys/attacker-secret" 300)" PAM_AUTH_ERR
authenticate "An expired token: signed correctly, but exp was an hour ago" \
	"$(mint "$TMP/keys/secret" -3600)" PAM_AUTH_ERR

step "5. Done"
if [ "$fails" -ne 0 ]; then
	say "${R}$fails result(s) differ from what pam_jwt promises${N}"
	exit 1
fi
say "the real token was accepted, the forged and the expired one refused;"
say "each decision was logged as one line, without the token, its signature"
say "or the secret (checked)."
say "Removing $TMP (build, keys, service files): the machine is as it was."
