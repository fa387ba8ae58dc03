#!/usr/bin/env bash
# Raspberry Pi estimate: the same quick bench three ways, in one go:
#   1. unrestricted (2 cores here),
#   2. one core (taskset -c 0),
#   3. one core under a CPU quota emulating a Pi 4 core (28% of one core here, i.e. about
#      3.5x slower; cgroup v1 cpu controller, needs root; skipped where unavailable).
# Prints one JSON line per run (checkin bench --quick --json) and the slowdown measured.
# SKIP_UNRESTRICTED=1 skips run 1 (when a full `checkin bench` gives those figures).
set -euo pipefail
cd "$(dirname "$0")/.."
QUOTA_PCT="${QUOTA_PCT:-28}"

run() { python3 -m assistant.cli bench --quick --json "$@"; }

if [ -z "${SKIP_UNRESTRICTED:-}" ]; then echo "# unrestricted"; full=$(run); echo "$full"; fi
echo "# taskset -c 0"; one=$(taskset -c 0 python3 -m assistant.cli bench --quick --json); echo "$one"

cg=/sys/fs/cgroup/cpu/checkin-pi4
if mkdir -p "$cg" 2>/dev/null && echo 100000 > "$cg/cpu.cfs_period_us" 2>/dev/null \
   && echo $((QUOTA_PCT * 1000)) > "$cg/cpu.cfs_quota_us" 2>/dev/null; then
  echo "# taskset -c 0 + ${QUOTA_PCT}% of one core (a Pi 4 core)"
  pi=$(bash -c "echo \$\$ > $cg/cgroup.procs && exec taskset -c 0 python3 -m assistant.cli bench --quick --json")
  echo "$pi"
  rmdir "$cg" 2>/dev/null || true
  python3 - "$one" "$pi" <<'PY'
import json, sys
one, pi = (json.loads(x) for x in sys.argv[1:3])
for key in ("choice_turn_latency_ms_median", "choice_turn_latency_ms_p95", "choice_fallback_latency_ms_median", "processing_after_endpoint_ms_median",
            "free_processing_after_endpoint_ms_median", "wer_clean", "wer_10db", "cold_start_s", "idle_cpu_pct_speech", "peak_rss_mb"):
    a, b = one.get(key), pi.get(key)
    if a and b:
        print(f"{key}: one core {a}, Pi 4 emulation {b} ({b / a:.2f}x)")
PY
else
  echo "# no writable cgroup v1 cpu controller here: CPU-quota run skipped"
fi
