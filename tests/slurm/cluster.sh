#!/bin/bash
# A one-node Slurm cluster on this machine for test_slurm: munged, slurmctld
# and slurmd on localhost, every file (key, sockets, state, logs) under DIR.
#   tests/slurm/cluster.sh start DIR   prints SLURM_CONF=DIR/slurm.conf once the node is idle
#   tests/slurm/cluster.sh stop DIR    cancels its jobs and stops the three daemons
# Needs root (slurmd runs jobs as their users) and Debian's slurm-wlm and munge.
set -euo pipefail
cmd=${1:-} dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
dir=$(mkdir -p "$dir" && cd "$dir" && pwd)
conf=$dir/slurm.conf
export SLURM_CONF=$conf

stop_pid() { # pid file: TERM, then wait up to 10 s, then KILL
  [ -f "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || { rm -f "$1"; return 0; }
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$1"
}

if [ "$cmd" = stop ]; then
  [ -f "$conf" ] && scancel --quiet --full --user="$(id -un)" 2>/dev/null || true
  stop_pid "$dir/slurmd.pid"; stop_pid "$dir/slurmctld.pid"; stop_pid "$dir/munged.pid"
  exit 0
fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

node=$(hostname -s)
cpus=$(nproc)
port=${SLURM_TEST_PORT:-16817}
mkdir -p "$dir/state" "$dir/spool" "$dir/log"
head -c 1024 /dev/urandom > "$dir/munge.key" && chmod 600 "$dir/munge.key"
munged --force --socket="$dir/munge.socket" --key-file="$dir/munge.key" --pid-file="$dir/munged.pid" \
  --seed-file="$dir/munged.seed" --log-file="$dir/log/munged.log"
cat > "$conf" <<CONF
ClusterName=genre-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
# no cgroups: process groups track a job's processes, tasks are not bound
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=sched_min_interval=100000
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
InactiveLimit=0
KillWait=5
MinJobAge=600
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -f "$conf"
slurmd -f "$conf" -N "$node"
for _ in $(seq 150); do # up to 30 s for the node to report
  if sinfo -h -N -o %t 2>/dev/null | grep -q '^idle'; then echo "SLURM_CONF=$conf"; exit 0; fi
  sleep 0.2
done
echo "the node did not come up; logs in $dir/log" >&2
exit 1
