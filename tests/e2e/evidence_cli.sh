#!/bin/sh
# End-to-end: record evidence, export a bundle, verify it with firebreak and with the shell
# commands from its custody report, then tamper and check that both verifiers name the break.
set -eu
fb=$1
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
export FIREBREAK_EVIDENCE_DIR="$work/evidence"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$fb" evidence note inc-e2e "triage started" --actor analyst >/dev/null
printf 'ps output\n' | "$fb" evidence add inc-e2e - --name ps.txt --source-kind command \
  --source-id "ps aux" --tool ssm >/dev/null
head -c 300000 /dev/urandom >"$work/mem.raw"
"$fb" evidence add inc-e2e "$work/mem.raw" --source-kind instance --source-id i-0e2e --tool LiME >/dev/null
"$fb" evidence list | grep -q '^inc-e2e .* 3 .* 2 ' || fail "list"
"$fb" evidence list inc-e2e | grep -q 'triage started' || fail "list INCIDENT"
"$fb" evidence show inc-e2e | grep -q 'mem.raw' || fail "show"
"$fb" evidence verify inc-e2e >/dev/null || fail "verify incident"
"$fb" evidence export inc-e2e --out "$work/bundle" >/dev/null
"$fb" evidence verify "$work/bundle" | grep -q VERIFIED || fail "verify bundle"
fp=$(openssl pkey -pubin -in "$work/bundle/public_key.pem" -outform DER | sha256sum | cut -c1-64)
"$fb" evidence verify --expect-key "$fp" "$work/bundle" >/dev/null || fail "verify --expect-key"

# The shell commands documented in the custody report.
sed -n '/^### With sha256sum and openssl alone/,$p' "$work/bundle/custody-report.md" |
  sed -n '/^```sh$/,/^```$/p' | sed '1d;$d' >"$work/verify.sh"
(cd "$work/bundle" && sh "$work/verify.sh") | grep -q 'bundle VERIFIED' || fail "shell verification"

# Tamper with record 2 of the bundle: both verifiers must fail and name it.
cp -r "$work/bundle" "$work/tampered"
chmod -R u+w "$work/tampered"
sed -i '2s/"kind":"artifact"/"kind":"note"/' "$work/tampered/ledger.log"
set +e
out=$("$fb" evidence verify "$work/tampered")
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "verify of a tampered bundle exited $rc, want 1"
echo "$out" | grep -q 'first broken: record 2 (line 2)' || fail "verify did not name record 2: $out"
if (cd "$work/tampered" && sh "$work/verify.sh") >"$work/sh.out" 2>&1; then
  fail "shell verification accepted a tampered bundle"
fi
grep -q 'record 2: hash mismatch' "$work/sh.out" || fail "shell did not name record 2"

# A live ledger tampered on disk.
chmod u+w "$FIREBREAK_EVIDENCE_DIR/incidents/inc-e2e/ledger.log"
sed -i '1s/triage started/triage skipped/' "$FIREBREAK_EVIDENCE_DIR/incidents/inc-e2e/ledger.log"
set +e
out=$("$fb" evidence verify inc-e2e)
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "verify of a tampered incident exited $rc, want 1"
echo "$out" | grep -q 'first broken: record 1 (line 1)' || fail "did not name record 1: $out"

# Usage errors.
set +e
"$fb" evidence verify "../etc" >/dev/null 2>&1
[ $? -eq 4 ] || fail "verify of a bad target"
"$fb" evidence >/dev/null 2>&1
[ $? -eq 2 ] || fail "usage"
set -e
echo "evidence e2e: 1 passed, 0 failed"
