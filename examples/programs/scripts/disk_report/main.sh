#!/usr/bin/env bash
# Reports how full the disks are; fails (exit 1) when one is above PARAM_THRESHOLD percent.
set -euo pipefail
threshold="${PARAM_THRESHOLD:-90}"
status=0
while read -r use mount; do
  percent="${use%\%}"
  echo "${mount}: ${percent}% used"
  if [ "$percent" -gt "$threshold" ]; then
    echo "${mount} is above ${threshold}%" >&2
    status=1
  fi
done < <(df -P -x tmpfs -x devtmpfs 2>/dev/null | awk 'NR > 1 { print $5, $6 }')
exit "$status"
