#!/usr/bin/env bash
# Starts a single-node Slurm cluster on this machine (munged + slurmctld + slurmd on localhost),
# for testing the scripts in this folder: what `.ci/run` does on a fresh Debian machine (as
# root). No cgroups, no accounting database, no systemd: plain daemons with their state under
# one folder. Prints the `export SLURM_CONF=…` line that points sbatch/squeue at it.
#
#   deploy/slurm/local-cluster.sh start [STATE_DIR]   # default /tmp/hanzi-synth-slurm
#   deploy/slurm/local-cluster.sh stop  [STATE_DIR]
set -euo pipefail
action="${1:-start}"
state="${2:-/tmp/hanzi-synth-slurm}"
conf="$state/slurm.conf"

# Stops the daemons this script started (by their pid files) and waits until they are gone, so
# that a new start finds its ports free.
stop() {
  for pidfile in "$state/slurmd.pid" "$state/slurmctld.pid" "$state/munged.pid"; do
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        # Gone but not yet reaped (a container whose init does not reap): as good as gone.
        [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

if [ "$action" = stop ]; then
  stop
  exit 0
fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

stop
mkdir -p "$state/spool" "$state/ctld" "$state/munge"
host="$(hostname -s)"
cpus="$(nproc)"
mem_mb="$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)"

# munge: a key, and the daemon on a socket of its own (its default one may belong to a system
# munged). munged refuses to run as root without --force.
[ -s "$state/munge/munge.key" ] || dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 status=none
chmod 700 "$state/munge"
chmod 400 "$state/munge/munge.key"
munged --force --key-file="$state/munge/munge.key" --socket="$state/munge/munge.socket" \
  --pid-file="$state/munged.pid" --log-file="$state/munged.log" --seed-file="$state/munge/munge.seed"

cat >"$conf" <<CONF
ClusterName=hanzi-synth-ci
# Addresses given, so that nothing depends on the host name resolving.
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# cred_expire: also how long a requeued job waits before it may start again (default 120 s).
AuthInfo=socket=$state/munge/munge.socket,cred_expire=10
CredType=cred/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
# Array tasks and a dependent job, seconds apart.
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF

export SLURM_CONF="$conf"
slurmctld -c  # -c: no jobs carried over from an earlier start
slurmd
for _ in $(seq 60); do
  if sinfo -h -o %t 2>/dev/null | grep -qx idle; then
    echo "export SLURM_CONF=$conf"
    exit 0
  fi
  sleep 1
done
echo "slurm did not come up; logs:" >&2
tail -n 30 "$state"/*.log >&2
sinfo >&2 || true
exit 1
