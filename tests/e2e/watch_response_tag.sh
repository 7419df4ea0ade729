#!/bin/sh
# End-to-end: tag-driven response on the simulator. An operator tags two web servers
# Response=Isolate+MemoryCapture; `sim logs` writes the CloudTrail of it; `watch --yes` turns the
# CreateTags record into a finding, an incident and one ec2-contain run per tagged instance with
# memory capture on. Post-conditions come from the runs' journal (their steps' results against the
# simulated world: the memory image written and hashed, isolation verified effective). Then the
# requests that must start nothing: unknown verbs, a verb that only switches an input, and a
# Response tag written with firebreak's own user agent.
set -eu
fb=$1
src=$2
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
unset FIREBREAK_EVIDENCE_DIR
cd "$src"
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- Response=Isolate+MemoryCapture on web-asg-1 and web-asg-2 -----------------------------------
request=scenarios/attacks/response-tag-request.yaml
"$fb" sim logs --world worlds/acme.yaml --duration 1h --attack "$request" --attack-at 5m \
  --out "$work/logs" >"$work/logs.txt" || fail "sim logs: $(cat "$work/logs.txt")"
grep -q 'ec2:CreateTags  *ok' "$work/logs.txt" || fail "the operator could not tag: $(cat "$work/logs.txt")"
export FIREBREAK_STATE_DIR="$work/state"
status=0
"$fb" watch --rules rules/ --attack "$request" --input evidence_bucket=acme-prod-ir-artifacts \
  --yes "$work/logs" >"$work/watch.txt" 2>"$work/watch.err" || status=$?
[ "$status" -eq 1 ] || fail "watch exited $status: $(cat "$work/watch.txt" "$work/watch.err")"
grep -q 'Response=Isolate+MemoryCapture on i-[0-9a-f]*, i-[0-9a-f]* by arn:aws:iam::222222222222:user/bob: starts ec2-contain on .*(Isolate; memory_capture=true); ec2-contain on .*(Isolate; memory_capture=true)' \
  "$work/watch.txt" || fail "watch did not read the tag: $(cat "$work/watch.txt")"
[ "$(grep -c 'ec2-contain on ec2-instance i-[0-9a-f]* -> run run-[0-9a-f]* succeeded' "$work/watch.txt")" -eq 2 ] ||
  fail "not one succeeded ec2-contain run per tagged instance: $(cat "$work/watch.txt")"
grep -q '2 runs started (0 failed, 0 awaiting approval)' "$work/watch.txt" || fail "summary: $(cat "$work/watch.txt")"
grep -q '1 Response tag requests (0 verbs or requests not acted on)' "$work/watch.txt" ||
  fail "summary of tags: $(cat "$work/watch.txt")"
# What each run did to the world, as its journal records it.
cat >"$work/check_run.py" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
steps = {s["id"]: s for s in run["steps"]}
def check(cond, what):
    if not cond:
        print(f"{run['id']}: {what}")
        sys.exit(1)
check(run["state"] == "succeeded", "run did not succeed")
check(run["inputs"].get("memory_capture") is True, f"memory_capture not set by the tag: {run['inputs']}")
# memory captured before isolation (no evidence egress path given), the image written and hashed
cap = steps["capture-before-isolation"]
check(cap["state"] == "verified", f"capture: {cap['state']} {cap.get('error')}")
check(cap["outputs"]["artifact"].startswith("s3://acme-prod-ir-artifacts/"), "artifact location")
check(len(cap["outputs"]["sha256"]) == 64 and cap["outputs"]["size"] > 0, "memory image hash/size")
check(run["outputs"]["memory_sha256"] == cap["outputs"]["sha256"], "run output memory_sha256")
# isolated after the capture, verified effective by an independent re-read of the world
check(steps["isolate-after-capture"]["state"] == "verified", "isolation")
check(steps["isolate"]["state"] == "skipped", "the capture-later branch ran")
check(steps["verify"]["state"] == "verified" and run["outputs"]["effective"] is True,
      "containment not verified effective")
for s in ("drain-asg", "revoke-sessions", "replace-profile", "mark"):
    check(steps[s]["state"] == "verified", f"{s}: {steps[s]['state']}")
print(run["target"]["id"])
PY
runs=$(sed -n 's/.* -> run \(run-[0-9a-f]*\) succeeded$/\1/p' "$work/watch.txt")
targets=""
for run in $runs; do
  "$fb" runs show "$run" --json >"$work/$run.json" || fail "runs show $run"
  target=$(python3 "$work/check_run.py" "$work/$run.json") || fail "post-conditions: $target"
  targets="$targets $target"
done
set -- $targets
[ "$#" -eq 2 ] && [ "$1" != "$2" ] || fail "the runs did not target two different instances:$targets"
inc=$(sed -n 's/^\(inc-[0-9-]*\): Response=.*/\1/p' "$work/watch.txt" | head -1)
"$fb" incidents list | grep -q "^$inc .*contained" || fail "incident not contained: $("$fb" incidents list)"
"$fb" incidents show "$inc" >"$work/incident.txt"
grep -q 'note .*Response=Isolate+MemoryCapture' "$work/incident.txt" || fail "incident has no note of the tag"
# Watch again over the same telemetry: already answered, nothing starts twice.
status=0
"$fb" watch --rules rules/ --attack "$request" --input evidence_bucket=acme-prod-ir-artifacts \
  --yes "$work/logs" >"$work/watch2.txt" 2>/dev/null || status=$?
grep -q '0 runs started' "$work/watch2.txt" || fail "a second watch started runs again: $(cat "$work/watch2.txt")"

# An input no playbook has is a usage error, not silently dropped.
status=0
"$fb" watch --rules rules/ --input evidence_bukcet=x "$work/logs" >/dev/null 2>"$work/typo.err" ||
  status=$?
[ "$status" -eq 2 ] || fail "watch with a mistyped --input exited $status"
grep -q 'evidence_bukcet: no loaded playbook has that input' "$work/typo.err" ||
  fail "mistyped --input: $(cat "$work/typo.err")"

# --- requests that start nothing -----------------------------------------------------------------
refused=tests/e2e/data/response-tag-refused.yaml
"$fb" sim logs --world worlds/acme.yaml --duration 1h --attack "$refused" --attack-at 5m \
  --out "$work/logs-refused" >"$work/logs-refused.txt" || fail "sim logs (refused)"
[ "$(grep -c 'ec2:CreateTags  *ok' "$work/logs-refused.txt")" -eq 3 ] ||
  fail "the refused requests were not all written: $(cat "$work/logs-refused.txt")"
# The forged firebreak tag is in the telemetry (detection without self-exclusion sees 3 requests) ...
[ "$("$fb" detect --rules rules/cloudtrail/fb_ec2_response_tag_trigger.yml --no-self-exclusion \
      "$work/logs-refused" 2>/dev/null | grep -c '"Instance Tagged for Incident Response"')" -eq 3 ] ||
  fail "expected three Response tag requests in the telemetry"
export FIREBREAK_STATE_DIR="$work/state-refused"
status=0
"$fb" watch --rules rules/ --attack "$refused" --yes "$work/logs-refused" >"$work/refused.txt" \
  2>"$work/refused.err" || status=$?
# ... and watch answers none of them: 3 = input it did not act on.
[ "$status" -eq 3 ] || fail "watch (refused) exited $status: $(cat "$work/refused.txt" "$work/refused.err")"
grep -q '^2 findings .* 0 runs started .* 2 Response tag requests (3 verbs or requests not acted on)' \
  "$work/refused.txt" || fail "refused summary: $(cat "$work/refused.txt")"
grep -q "unknown verb 'isolate': nothing started for it (.*did you mean 'Isolate'?)" "$work/refused.txt" ||
  fail "no case hint: $(cat "$work/refused.txt")"
grep -q "unknown verb 'Wipe': nothing started for it" "$work/refused.txt" || fail "Wipe not named"
grep -q "verb 'MemoryCapture' only sets inputs of ec2-contain" "$work/refused.txt" ||
  fail "idle verb not named"
grep -q 'Response=Isolate+MemoryCapture' "$work/refused.txt" &&
  fail "watch acted on (or even read) firebreak's own Response tag: $(cat "$work/refused.txt")"
inc=$(sed -n 's/^\(inc-[0-9-]*\): Response=isolate+Wipe.*/\1/p' "$work/refused.txt")
[ -n "$inc" ] || fail "no incident for the unknown verbs"
"$fb" incidents show "$inc" | grep -q "unknown verb 'Wipe'" || fail "the incident does not name the unknown verb"
"$fb" runs list | grep -q 'run-' && fail "a refused request started a run: $("$fb" runs list)"
echo "tag-driven response end to end: ok"
