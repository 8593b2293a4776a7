#!/usr/bin/env bash
# The action's run step (action.yml), kept as a script so it is tested (tests/test_github_action.py).
# Inputs come as environment variables, never interpolated into the script (no injection).
set -uo pipefail
case "$WA_COMMAND" in
  scan|check) ;;
  *) echo "workeradvisor action: error: command must be scan or check, not '$WA_COMMAND'" >&2; exit 2 ;;
esac
read -r -a paths <<< "$WA_PATHS"
read -r -a extra <<< "$WA_ARGS"
# 1. SARIF for code scanning, whatever the findings (the gate is step 2).
workeradvisor "$WA_COMMAND" "${paths[@]}" "${extra[@]}" --format sarif --fail-on never > "$WA_SARIF"
rc=$?
if [ "$rc" -ne 0 ]; then exit "$rc"; fi
# 2. The gate, with annotations/summary: check has a GitHub format; scan's markdown goes to the summary.
if [ "$WA_COMMAND" = check ]; then
  workeradvisor check "${paths[@]}" "${extra[@]}" --format github --fail-on "$WA_FAIL_ON"
else
  summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
  workeradvisor scan "${paths[@]}" "${extra[@]}" --format markdown --fail-on "$WA_FAIL_ON" >> "$summary"
fi
