#!/usr/bin/env bash
# Makes a one-node Slurm cluster ("hookflow", node localhost, partition debug) ready for hookflow's
# schedule_nodes tests, idempotently, on a bare Debian 12 as root: installs slurm-wlm and munge with
# apt-get when sbatch is missing, creates the munge key, starts munged, writes /etc/slurm/slurm.conf
# for this machine, starts slurmctld and slurmd in the background (no systemd needed) and waits until
# the node is idle. A second run finds everything up and only checks. No accounting daemon.
set -euo pipefail

log() { printf 'slurm-setup: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (it installs packages and starts daemons)" >&2
  exit 1
fi

CONF_DIR=/etc/slurm
CONF="$CONF_DIR/slurm.conf"
LOG_DIR=/var/log/slurm
RUN_DIR=/run/slurm
CTLD_SPOOL=/var/spool/slurmctld
SLURMD_SPOOL=/var/spool/slurmd

if ! command -v sbatch >/dev/null 2>&1 || ! command -v slurmctld >/dev/null 2>&1 || ! command -v slurmd >/dev/null 2>&1; then
  log "installing slurm-wlm and munge with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

# --- munge: the key, its directories, the daemon ---------------------------------------------
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  log "creating the munge key"
  if command -v mungekey >/dev/null 2>&1; then
    mungekey --create --force --keyfile=/etc/munge/munge.key
  else
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key

if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "munged already running"
else
  log "starting munged"
  # munged refuses a stale socket lock left by a killed daemon.
  rm -f /run/munge/munge.socket.2.lock
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 1 50); do
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  munge -n | unmunge >/dev/null
fi

# --- slurm.conf for this machine ------------------------------------------------------------------
CPUS="$(nproc)"
TOTAL_MB="$(free -m | awk '/^Mem:/ { print $2 }')"
# Leave room for the system: a node whose RealMemory exceeds what slurmd finds is drained.
REAL_MB=$(( TOTAL_MB > 2048 ? TOTAL_MB - 1024 : TOTAL_MB / 2 ))

install -d -m 0755 "$CONF_DIR" "$LOG_DIR" "$RUN_DIR" "$CTLD_SPOOL" "$SLURMD_SPOOL"

NEW_CONF="$(cat <<EOF
# Written by hookflow's scripts/slurm-setup.sh: a one-node test cluster. Rewritten on each run.
ClusterName=hookflow
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
SelectType=select/cons_tres
# CR_CPU: memory is not consumed, so a job without --mem does not take the whole node.
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,sched_min_interval=100000,bf_interval=1
ReturnToService=2
SlurmctldPidFile=$RUN_DIR/slurmctld.pid
SlurmdPidFile=$RUN_DIR/slurmd.pid
SlurmdSpoolDir=$SLURMD_SPOOL
StateSaveLocation=$CTLD_SPOOL
SlurmctldPort=6817
SlurmdPort=6818
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# Ended jobs stay visible to scontrol for 5 minutes (there is no accounting to ask later).
MinJobAge=300
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=localhost CPUs=$CPUS RealMemory=$REAL_MB State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
)"

CONF_CHANGED=0
if [ ! -f "$CONF" ] || [ "$(cat "$CONF")" != "$NEW_CONF" ]; then
  log "writing $CONF (CPUs=$CPUS RealMemory=$REAL_MB)"
  printf '%s\n' "$NEW_CONF" > "$CONF"
  chmod 0644 "$CONF"
  CONF_CHANGED=1
fi

# --- the daemons ------------------------------------------------------------------------------
# A daemon counts as running when its pid file or pgrep names a live process of that name: not a
# zombie (a container's init may never reap the daemons of an earlier run).
alive_pid() { # pid name
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] || return 1
  # The state is the field after the parenthesised command name.
  case "${stat##*) }" in Z*|X*) return 1 ;; esac
}

running_pid() { # name: prints the pid of a live daemon, fails when there is none
  local pid
  for pid in $(cat "$RUN_DIR/$1.pid" 2>/dev/null) $(pgrep -x "$1" 2>/dev/null); do
    if alive_pid "$pid" "$1"; then echo "$pid"; return 0; fi
  done
  return 1
}

stop_daemon() { # name
  local pid
  if pid="$(running_pid "$1")"; then
    log "stopping $1 (pid $pid) for the new configuration"
    kill "$pid"
    for _ in $(seq 1 50); do alive_pid "$pid" "$1" || break; sleep 0.1; done
  fi
}

if [ "$CONF_CHANGED" = 1 ]; then
  stop_daemon slurmd
  stop_daemon slurmctld
fi

if running_pid slurmctld >/dev/null; then
  log "slurmctld already running"
else
  log "starting slurmctld"
  nohup setsid slurmctld -D >>"$LOG_DIR/slurmctld.log" 2>&1 </dev/null &
fi

if running_pid slurmd >/dev/null; then
  log "slurmd already running"
else
  log "starting slurmd"
  nohup setsid slurmd -D -N localhost >>"$LOG_DIR/slurmd.log" 2>&1 </dev/null &
fi

# --- wait until the node takes jobs ----------------------------------------------------------------
STATE=""
RESUMED=0
for i in $(seq 1 150); do
  STATE="$(sinfo -h -o %T -n localhost 2>/dev/null | head -n 1 || true)"
  case "$STATE" in
    idle|mixed|allocated|completing) break ;;
    down*|drain*|drained*|fail*)
      if [ "$RESUMED" = 0 ] || [ $(( i % 25 )) = 0 ]; then
        log "node is $STATE; resuming it"
        scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true
        RESUMED=1
      fi
      ;;
  esac
  sleep 0.2
done

case "$STATE" in
  idle|mixed|allocated|completing) log "ready: node localhost is $STATE (partition debug)" ;;
  *)
    log "node localhost did not become idle within 30 s (state: '${STATE:-no answer}'); logs:" >&2
    tail -n 20 "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log" >&2 || true
    exit 1
    ;;
esac
