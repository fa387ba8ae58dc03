#!/usr/bin/env bash
# Install Check-in on Raspberry Pi OS / Debian: system packages, a virtual environment,
# `checkin` on the PATH, and a systemd service that starts on boot and restarts on failure.
#   sudo bash scripts/install.sh [--user NAME] [--vosk] [--no-service] [--dry-run]
# --vosk also fetches the Vosk model (only for asr: vosk; the defaults never use it).
set -euo pipefail

DIR="$(cd "$(dirname "$0")/.." && pwd)"
RUN_USER="${SUDO_USER:-$(id -un)}"
MODEL=0 SERVICE=1 DRY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --user) RUN_USER="$2"; shift ;;
    --vosk) MODEL=1 ;;
    --no-model) MODEL=0 ;;  # the default now; kept so older instructions still work
    --no-service) SERVICE=0 ;;
    --dry-run) DRY=1 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

did=()
run() {  # run (or, with --dry-run, print) one step
  if [ "$DRY" = 1 ]; then echo "would run: $*"; else "$@"; fi
}

step() {  # say what the next (long) step is, so a slow Pi never looks stuck
  echo; echo "==> $*"
}

step "1/5 system packages (apt)"
run apt-get update
run apt-get install -y python3-venv python3-pip espeak-ng libespeak-ng1 libportaudio2 sox
did+=("installed system packages: espeak-ng libespeak-ng1 libportaudio2 sox python3-venv")

step "2/5 a virtual environment in $DIR/.venv and Check-in's Python packages (several minutes on a Pi)"
run sudo -u "$RUN_USER" -H python3 -m venv "$DIR/.venv"
run sudo -u "$RUN_USER" -H "$DIR/.venv/bin/pip" install --progress-bar on -e "$DIR"
did+=("created $DIR/.venv and installed checkin into it")
run ln -sf "$DIR/.venv/bin/checkin" /usr/local/bin/checkin
did+=("linked /usr/local/bin/checkin to $DIR/.venv/bin/checkin (type: checkin)")

# The settings file `checkin setup` writes for this user; the service reads the same one.
if [ "$DRY" = 1 ]; then
  CONFIG="~$RUN_USER/.config/checkin/config.yaml"
else
  CONFIG="$(sudo -u "$RUN_USER" -H "$DIR/.venv/bin/python" -c 'from assistant.formats.places import user_file; print(user_file())')"
fi
CONFIG_HOME="$(dirname "$(dirname "$CONFIG")")"

step "3/5 models"
if [ "$MODEL" = 1 ]; then
  if run sudo -u "$RUN_USER" -H "$DIR/.venv/bin/python" "$DIR/scripts/download_model.py" --dest "$DIR/models"; then
    did+=("installed the Vosk English model in $DIR/models (set asr roles to vosk in $CONFIG to use it)")
  else
    did+=("could not download the Vosk model (re-run: $DIR/.venv/bin/python $DIR/scripts/download_model.py --dest $DIR/models)")
  fi
else
  echo "nothing to download: the recognisers' models come inside the Python packages"
fi

step "4/5 rendering the spoken prompts (a few minutes on a Pi)"
run sudo -u "$RUN_USER" -H "$DIR/.venv/bin/checkin" prepare || true
did+=("pre-rendered the spoken prompts")

if [ "$SERVICE" = 1 ]; then
  step "5/5 the systemd service"
  unit=/etc/systemd/system/checkin.service
  if [ "$DRY" = 1 ]; then
    echo "would write $unit for user $RUN_USER"
  else
    sed -e "s|@USER@|$RUN_USER|g" -e "s|@DIR@|$DIR|g" -e "s|@CONFIG_HOME@|$CONFIG_HOME|g" \
      "$DIR/scripts/checkin.service" > "$unit"
  fi
  # The unit denies all IP traffic; the satellites in the user's settings (and nothing else) are allowed.
  dropin_dir=/etc/systemd/system/checkin.service.d
  if [ "$DRY" = 1 ]; then
    allow="$(PYTHONPATH="$DIR" python3 -m assistant.cli.firewall --systemd 2>/dev/null || true)"
  else
    allow="$(sudo -u "$RUN_USER" -H "$DIR/.venv/bin/python" -m assistant.cli.firewall --systemd)"
  fi
  if [ -n "$allow" ]; then
    if [ "$DRY" = 1 ]; then
      echo "would write $dropin_dir/satellites.conf:"; echo "$allow"
    else
      mkdir -p "$dropin_dir" && printf '%s\n' "$allow" > "$dropin_dir/satellites.conf"
    fi
    did+=("allowed network traffic to exactly the satellites in $CONFIG: $(echo "$allow" | sed -n 's/^IPAddressAllow=//p')")
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
echo "Your settings: $CONFIG (the service reads it too)."
echo "Next, as $RUN_USER: checkin setup    (your names, your country, a speaker and microphone test)"
echo "then: sudo systemctl reload checkin, and say \"start check-in\". Check everything with: checkin doctor"
