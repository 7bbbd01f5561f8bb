#!/usr/bin/env bash
# The whole test suite: vitest (Node side, SQL, end to end) and Deno tests of the edge functions.
# Ends with one line "N passed, N failed" counting every test that ran.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .codeguard
# This run's own report (two runs side by side in one checkout must not read or delete each other's),
# published as .codeguard/vitest-report.json by a rename once counted: that file is always one whole
# report, the last finished run's.
report=$(mktemp .codeguard/vitest-report.XXXXXX)
trap 'rm -f "$report"' EXIT

# A kill of the run (npm forwards SIGTERM, SIGINT and SIGHUP to this script: package.json's "test"
# execs it, so no sh stands between) is passed on to vitest, which stops its Postgres and workers,
# and the script then stops. Without it, bash died at once and vitest ran on under init, its local
# stacks with it. vitest is started directly, not through npx (npm exec does not pass SIGTERM on).
stopped=""
vitest_pid=""
forward() {
  stopped=$1
  [ -n "$vitest_pid" ] && kill -"$1" "$vitest_pid" 2>/dev/null
}
trap 'forward TERM' TERM
trap 'forward INT' INT
trap 'forward HUP' HUP
./node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" &
vitest_pid=$!
# `wait` returns early when a trapped signal arrives: wait again until vitest has really exited.
while :; do
  wait "$vitest_pid"
  vitest_rc=$?
  kill -0 "$vitest_pid" 2>/dev/null || break
done
if [ -n "$stopped" ]; then
  echo "test run stopped by SIG$stopped"
  exit $((128 + $(kill -l "$stopped")))
fi

deno_passed=0; deno_failed=0; deno_rc=0
mapfile -t deno_tests < <(find supabase/functions -name '*_test.ts' -not -path '*/node_modules/*' | sort)
if [ "$#" -eq 0 ] && [ "${#deno_tests[@]}" -gt 0 ]; then
  deno_out=$(mktemp)
  NO_COLOR=1 DENO_NO_UPDATE_CHECK=1 DENO_TLS_CA_STORE=${DENO_TLS_CA_STORE:-system,mozilla} npx deno test --allow-all --config supabase/functions/deno.json "${deno_tests[@]}" 2>&1 | tee "$deno_out"
  deno_rc=${PIPESTATUS[0]}
  line=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$deno_out" | tail -1)
  deno_passed=$(sed -E 's/.*\| ([0-9]+) passed.*/\1/' <<<"$line"); deno_passed=${deno_passed:-0}
  deno_failed=$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$line"); deno_failed=${deno_failed:-0}
  if [ -z "$line" ] && [ "$deno_rc" -ne 0 ]; then deno_failed=1; fi
  rm -f "$deno_out"
fi

read -r v_passed v_failed < <(node -e '
  try {
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    // A file that failed to load has no tests of its own: count it as one failure.
    const broken = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
    console.log(r.numPassedTests, r.numFailedTests + broken);
  } catch { console.log("0 1"); }
' "$report")
if [ "$vitest_rc" -ne 0 ] && [ "$v_failed" -eq 0 ]; then v_failed=1; fi
[ -s "$report" ] && mv -f "$report" .codeguard/vitest-report.json

echo "vitest: $v_passed passed, $v_failed failed; deno: $deno_passed passed, $deno_failed failed"
echo "$((v_passed + deno_passed)) passed, $((v_failed + deno_failed)) failed"
# The counts decide, not only the exit codes (vitest's own was 0 with failures until the global setup
# unhooked embedded-postgres's beforeExit hook: test/harness/global-setup.ts).
[ "$vitest_rc" -eq 0 ] && [ "$deno_rc" -eq 0 ] && [ "$v_failed" -eq 0 ] && [ "$deno_failed" -eq 0 ]
