#!/usr/bin/env bash
# Runs `stageprint ARGS` for the action. ARGS is split on whitespace and never evaluated
# as shell code; with SUMMARY=true the standard output is also appended to the job summary.
# The exit status is stageprint's: 0 clean, 2 findings, 1 it could not run.
set -uo pipefail
read -ra words <<< "${ARGS:-}"
if [ "${SUMMARY:-false}" = true ]; then
  stageprint "${words[@]}" | tee -a "${GITHUB_STEP_SUMMARY:?GITHUB_STEP_SUMMARY is not set}"
  exit "${PIPESTATUS[0]}"
fi
exec stageprint "${words[@]}"
