#!/usr/bin/env bash
# Install Check-in on Raspberry Pi OS / Debian: system packages, a virtual environment,
# the Vosk model, and a systemd service that starts on boot and restarts on failure.
#   sudo bash scripts/install.sh [--user NAME] [--no-model] [--no-service] [--dry-run]
set -euo pipefail

DIR="$(cd "$(dirname "$0")/.." && pwd)"
RUN_USER="${SUDO_USER:-$(id -un)}"
MODEL=1 SERVICE=1 DRY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --user) RUN_USER="$2"; shift ;;
    --no-model) MODEL=0 ;;
    --no-service) SERVICE=0 ;;
    --dry-run) DRY=1 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

did=()
run() {  # run (or, with --dry-run, print) one step
  if [ "$DRY" = 1 ]; then echo "would run: $*"; else "$@"; fi
}

run apt-get update -qq
run apt-get install -y -qq python3-venv python3-pip espeak-ng libespeak-ng1 libportaudio2 sox
did+=("installed system packages: espeak-ng libespeak-ng1 libportaudio2 sox python3-venv")

run sudo -u "$RUN_USER" python3 -m venv "$DIR/.venv"
run sudo -u "$RUN_USER" "$DIR/.venv/bin/pip" install -q -e "$DIR"
did+=("created $DIR/.venv and installed checkin into it")

if [ "$MODEL" = 1 ]; then
  if run sudo -u "$RUN_USER" "$DIR/.venv/bin/python" "$DIR/scripts/download_model.py" --dest "$DIR/models"; then
    did+=("installed the Vosk English model in $DIR/models")
  else
    did+=("could not download the Vosk model: Check-in will use the embedded pocketsphinx model (re-run scripts/download_model.py later)")
  fi
fi

run sudo -u "$RUN_USER" "$DIR/.venv/bin/checkin" --config "$DIR/config.yaml" prepare || true
did+=("pre-rendered the spoken prompts")

if [ "$SERVICE" = 1 ]; then
  unit=/etc/systemd/system/checkin.service
  if [ "$DRY" = 1 ]; then
    echo "would write $unit for user $RUN_USER"
  else
    sed -e "s|@USER@|$RUN_USER|g" -e "s|@DIR@|$DIR|g" "$DIR/scripts/checkin.service" > "$unit"
  fi
  # The unit denies all IP traffic; config.yaml's satellites (and nothing else) are allowed.
  dropin_dir=/etc/systemd/system/checkin.service.d
  if [ "$DRY" = 1 ]; then
    allow="$(PYTHONPATH="$DIR" python3 -m assistant.cli.firewall --systemd "$DIR/config.yaml" 2>/dev/null || true)"
  else
    allow="$(sudo -u "$RUN_USER" "$DIR/.venv/bin/python" -m assistant.cli.firewall --systemd "$DIR/config.yaml")"
  fi
  if [ -n "$allow" ]; then
    if [ "$DRY" = 1 ]; then
      echo "would write $dropin_dir/satellites.conf:"; echo "$allow"
    else
      mkdir -p "$dropin_dir" && printf '%s\n' "$allow" > "$dropin_dir/satellites.conf"
    fi
    did+=("allowed network traffic to exactly the satellites in config.yaml: $(echo "$allow" | sed -n 's/^IPAddressAllow=//p')")
  else
    run rm -f "$dropin_dir/satellites.conf"
  fi
  run systemctl daemon-reload
  run systemctl enable --now checkin.service
  did+=("installed and started the systemd service checkin.service (starts on boot, restarts on failure; reload with: systemctl reload checkin)")
fi

echo
echo "Check-in is installed. What this script did:"
for line in "${did[@]}"; do echo "  - $line"; done
echo "Check it with: $DIR/.venv/bin/checkin doctor"
