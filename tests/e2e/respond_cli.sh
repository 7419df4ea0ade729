#!/bin/sh
# End-to-end: the response commands on the simulator, as an operator runs them — plan (no
# mutating call), respond (contains, records evidence, moves the incident), runs and incidents
# views, refusals, and watch (telemetry -> findings -> incidents -> playbooks).
set -eu
fb=$1
src=$2
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
export FIREBREAK_STATE_DIR="$work/state"
unset FIREBREAK_EVIDENCE_DIR
cd "$src"
fail() { echo "FAIL: $*" >&2; exit 1; }
attack=scenarios/attacks/instance-compromise-c2.yaml

# plan: ordered calls, permissions, and not one mutating call in the simulator's CloudTrail.
"$fb" plan ec2-contain --target web-asg-1 --attack "$attack" >"$work/plan.txt" 2>"$work/plan.err" ||
  fail "plan exited $?: $(cat "$work/plan.err")"
grep -q 'simulator CloudTrail: 0 mutating calls' "$work/plan.txt" || fail "plan mutated"
grep -q '\* ec2:ModifyNetworkInterfaceAttribute' "$work/plan.txt" || fail "plan lists no isolation"
grep -q '^  ec2:CreateSnapshots$' "$work/plan.txt" || fail "plan lists no permissions"
"$fb" plan ec2-contain --target web-asg-1 --json >"$work/plan.json" || fail "plan --json"
grep -q '"simulator_mutating_calls": 0' "$work/plan.json" || fail "plan --json count"
"$fb" incidents list | grep -q '(no incidents)' || fail "a plan opened an incident"

# respond: contain, then the views.
status=0
"$fb" respond ec2-contain --target web-asg-1 --attack "$attack" --yes >"$work/run.txt" \
  2>"$work/run.err" || status=$?
[ "$status" -eq 0 ] || fail "respond exited $status: $(cat "$work/run.txt" "$work/run.err")"
grep -q '^run run-[0-9a-f]*  succeeded' "$work/run.txt" || fail "run did not succeed"
run=$(sed -n 's/^run \(run-[0-9a-f]*\) .*/\1/p' "$work/run.txt")
inc=$(sed -n 's/.*incident \(inc-[0-9-]*\).*/\1/p' "$work/run.txt" | head -1)
[ -n "$run" ] && [ -n "$inc" ] || fail "no run or incident id in output"
"$fb" runs list | grep -q "^$run .*succeeded .*sim .*$inc" || fail "runs list"
"$fb" runs show "$run" --log | grep -q 'isolate' || fail "runs show"
"$fb" runs show "$run" --json | grep -q '"state": "succeeded"' || fail "runs show --json"
"$fb" incidents list | grep -q "^$inc .*contained" || fail "incident not contained"
"$fb" incidents show "$inc" | grep -q "$run" || fail "incident show lacks the run"
FIREBREAK_EVIDENCE_DIR="$work/state/evidence" "$fb" evidence verify "$inc" | grep -q VERIFIED ||
  fail "the run's evidence ledger does not verify"

# Refusals: a simulator run cannot be continued by a later process; bad playbooks say where.
status=0
"$fb" runs approve "$run" isolate 2>"$work/approve.err" || status=$?
[ "$status" -eq 4 ] || fail "runs approve of a sim run exited $status"
grep -q 'simulator' "$work/approve.err" || fail "runs approve: no reason"
printf 'id: broken\ntarget: ec2-instance\nsteps:\n  - id: a\n    action: no.such_action\n' \
  >"$work/broken.yml"
status=0
"$fb" plan "$work/broken.yml" --target web-asg-1 2>"$work/broken.err" || status=$?
[ "$status" -ne 0 ] || fail "a broken playbook planned"
grep -q 'broken.yml:5' "$work/broken.err" || fail "no file:line for a broken playbook: $(cat "$work/broken.err")"

# watch: the simulator's telemetry of the attack -> findings -> incidents -> ec2-contain.
"$fb" sim logs --world worlds/acme.yaml --duration 1h --attack "$attack" --attack-at 5m \
  --out "$work/logs" >/dev/null
export FIREBREAK_STATE_DIR="$work/state2"
status=0
"$fb" watch --rules rules/ --attack "$attack" --yes "$work/logs" >"$work/watch.txt" \
  2>"$work/watch.err" || status=$?
[ "$status" -eq 1 ] || fail "watch exited $status: $(cat "$work/watch.txt" "$work/watch.err")"
grep -q 'ec2-contain on ec2-instance .* succeeded' "$work/watch.txt" ||
  fail "watch did not contain the instance: $(cat "$work/watch.txt")"
grep -q '(0 failed' "$work/watch.txt" || fail "a watch run failed: $(cat "$work/watch.txt")"
"$fb" incidents list | grep -q 'contained' || fail "watch left no contained incident"
echo "respond CLI end to end: ok"
