# bench/lib.sh: the set-up shared by the benchmarks (bench/scale, bench/throughput). Sourced, not
# run. The caller sets, before sourcing: prog (its name for messages), and afterwards calls the
# functions below in this order: bench_prerequisites, bench_build, bench_init TAG, then
# bench_veth_pair / start_server / stop_server as it needs.
#
# Globals it defines or uses:
#   root jar py java      the project, the examples jar, the python3 and java to run
#   tmp results           a private temporary directory and the results file in it (bench_init)
#   live_pids             processes to stop on exit
#   bench_namespaces      network namespaces to delete on exit (those that exist then)
#   stack_ns              the stack's namespace (start_server stack); created by the stack itself
#   stack_serve_args      options added to ./tcpstack serve by start_server stack* (default none)
#   server_pid cns addr   set by start_server: the server's PID, the clients' namespace, the address
#
# Nothing here touches the root namespace: veth pairs are created with both ends inside
# namespaces, and the stack creates its own namespace (./tcpstack serve --netns).

# shellcheck shell=bash

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
jar="$root/examples/target/tcpstack-examples.jar"

die() { echo "$prog: error: $*" >&2; exit 1; }
usage_error() { echo "$prog: error: $* (see $prog --help)" >&2; exit 2; }
say() { echo "$prog: $*" >&2; }
is_count() { [[ "$1" =~ ^[1-9][0-9]{0,6}$ ]]; }

# print_help FILE: the comment block at the top of FILE, up to `set -euo`
print_help() { sed -n '2,/^set -euo/p' "$1" | sed '$d' | sed 's/^# \{0,1\}//'; }

# ---------------------------------------------------------------------------- prerequisites

missing=()
# need_cmd CMD HINT: notes CMD as missing (with HINT) unless it is on the PATH
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 ($2)"); }

# bench_prerequisites: Linux, root, ip, python3, java; then the caller's need_cmd, then
# bench_missing_die. Sets java and py.
bench_prerequisites() {
  [ "$(uname -s)" = Linux ] || die "needs Linux"
  [ "$(id -u)" = 0 ] || die "needs root for network namespaces: sudo $command_line"
  need_cmd ip "apt-get install iproute2"
  need_cmd python3 "apt-get install python3"
  command -v java >/dev/null 2>&1 || [ -n "${JAVA_HOME:-}" ] || missing+=("java (apt-get install default-jdk)")
  java="java"
  if [ -n "${JAVA_HOME:-}" ]; then java="$JAVA_HOME/bin/java"; fi
}

bench_missing_die() {
  [ "${#missing[@]}" -eq 0 ] || die "missing: ${missing[*]}"
  # the interpreter itself, not a version manager's shim: its PID is the client's, and it starts fast
  py="$(python3 -c 'import sys; print(sys.executable)')"
}

# bench_build: the launcher builds the jar when it is missing or older than the sources
bench_build() {
  "$root/tcpstack" --help >/dev/null || die "the build failed; run 'mvn -B -DskipTests package' in $root to see why"
  [ -f "$jar" ] || die "no $jar after the build"
}

# ---------------------------------------------------------------------------- processes, cleanup

live_pids=()
bench_namespaces=()

# stop_pid PID SECONDS: SIGTERM, then SIGKILL if still there after SECONDS; reaps it.
stop_pid() {
  local pid="$1" secs="${2:-20}" i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "PID $pid did not stop on SIGTERM within ${secs}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

forget_pid() {
  local keep=() p
  for p in "${live_pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  live_pids=("${keep[@]+"${keep[@]}"}")
}

cleanup() {
  local rc=$? p ns
  trap '' INT TERM
  for p in "${live_pids[@]+"${live_pids[@]}"}"; do stop_pid "$p" 10; done
  for ns in "${bench_namespaces[@]+"${bench_namespaces[@]}"}"; do
    if [ -e "/run/netns/$ns" ]; then
      ip netns delete "$ns" 2>/dev/null || say "warning: could not delete network namespace $ns"
    fi
  done
  [ -z "${tmp:-}" ] || rm -rf "$tmp"
  exit "$rc"
}

# bench_init TAG NS...: the temporary directory /tmp/TAG.*, the results file, the traps; NS... are
# the namespaces this run may create (each must not exist yet), all deleted on exit.
bench_init() {
  local tag="$1" ns
  shift
  # checked before any trap: a namespace that is not ours is never deleted
  for ns in "$@"; do
    [ ! -e "/run/netns/$ns" ] || die "network namespace $ns exists already"
  done
  bench_namespaces=("$@")
  trap cleanup EXIT
  trap 'say "interrupted"; exit 130' INT
  trap 'say "terminated"; exit 143' TERM
  tmp="$(mktemp -d "/tmp/$tag.XXXXXX")"
  results="$tmp/results.tsv"
  : >"$results"
}

# wait_bounded PID SECONDS: waits for a child; past SECONDS, stops it. Sets wait_rc.
wait_bounded() {
  local pid="$1" secs="$2" i
  wait_rc=0
  for ((i = 0; i < secs * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "PID $pid still running after ${secs}s: stopping it"
    stop_pid "$pid" 10
    wait_rc=124
  else
    wait "$pid" 2>/dev/null || wait_rc=$?
  fi
  forget_pid "$pid"
}

# ---------------------------------------------------------------------------- namespaces, servers

# bench_veth_pair CLI_NS SRV_NS VETH: two namespaces joined by VETHc (198.19.0.1/24, in CLI_NS) and
# VETHs (198.19.0.2/24, in SRV_NS); both ends are created inside the namespaces.
bench_veth_pair() {
  local cli="$1" srv="$2" veth="$3" ns
  ip netns add "$srv"
  ip netns add "$cli"
  ip link add "${veth}c" netns "$cli" type veth peer name "${veth}s" netns "$srv"
  ip -n "$cli" addr add 198.19.0.1/24 dev "${veth}c"
  ip -n "$srv" addr add 198.19.0.2/24 dev "${veth}s"
  for ns in "$cli" "$srv"; do ip -n "$ns" link set lo up; done
  ip -n "$cli" link set "${veth}c" up
  ip -n "$srv" link set "${veth}s" up
  ip netns exec "$srv" sysctl -q -w net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
}

# client_sysctls NS: room for many short connections on the client side
client_sysctls() {
  ip netns exec "$1" sysctl -q -w net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
}

server_pid=""
stack_serve_args=()
# start_server TARGET [SRV_NS CLI_NS]: a TARGET starting with "stack" (stack, stack_on, ...) is
# ./tcpstack serve in $stack_ns, with the options in stack_serve_args; anything else is
# ReferenceServer in SRV_NS (default $srv_ns), its clients in CLI_NS (default $cli_ns). Waits for
# the ready line; sets server_pid, cns, addr (and, for the stack, stack_dev: its TUN device).
start_server() {
  local target="$1" rsrv="${2:-${srv_ns:-}}" rcli="${3:-${cli_ns:-}}"
  local out="$tmp/$1.server.out" err="$tmp/$1.server.err" i is_stack=0
  case "$target" in stack*) is_stack=1 ;; esac
  : >"$out"
  if [ "$is_stack" = 1 ]; then
    "$root/tcpstack" serve --netns "$stack_ns" "${stack_serve_args[@]+"${stack_serve_args[@]}"}" >"$out" 2>"$err" &
    cns="$stack_ns"; addr=198.18.0.2
  else
    # shellcheck disable=SC2086
    ip netns exec "$rsrv" "$java" ${TCPSTACK_JAVA_OPTS:-} -cp "$jar" io.tcpstack.examples.bench.ReferenceServer \
      --bind 198.19.0.2 --backlog 4096 >"$out" 2>"$err" &
    cns="$rcli"; addr=198.19.0.2
  fi
  server_pid=$!
  live_pids+=("$server_pid")
  for ((i = 0; i < 600; i++)); do
    grep -q '^ready:' "$out" && break
    kill -0 "$server_pid" 2>/dev/null || die "the $target server exited before it was ready: $(tail -n 3 "$err" | tr '\n' ' ')"
    sleep 0.2
  done
  grep -q '^ready:' "$out" || die "the $target server was not ready within 120 s: $(tail -n 3 "$err" | tr '\n' ' ')"
  if [ "$is_stack" = 1 ]; then
    client_sysctls "$stack_ns"
    # "ready: stack 198.18.0.2 on tun0 in netns ..."
    stack_dev="$(sed -n 's/^ready:.* on \([^ ]*\) in netns .*/\1/p' "$out" | head -n 1)"
  fi
  return 0
}

stop_server() {
  stop_pid "$server_pid" 30
  forget_pid "$server_pid"
  server_pid=""
  if [ -e "/run/netns/$stack_ns" ]; then
    ip netns delete "$stack_ns" 2>/dev/null || true
  fi
}

# ---------------------------------------------------------------------------- measuring

# proc_sample PID: "RSS_KiB THREADS" of a live process, or "NA NA"
proc_sample() {
  awk '/^VmRSS:/ {r = $2} /^Threads:/ {t = $2} END {if (r == "" || t == "") print "NA NA"; else print r, t}' \
    "/proc/$1/status" 2>/dev/null || echo "NA NA"
}

# proc_cpu_ticks PID: utime + stime of a live process, in clock ticks, or NA
proc_cpu_ticks() {
  # the command name (field 2) may hold spaces: count the fields after its closing parenthesis
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || { echo NA; return; }
  stat="${stat##*) }"
  # now field 1 is the state (stat's field 3): utime is stat's 14th, so the 12th here
  awk '{print $12 + $13}' <<<"$stat"
}

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; }

# json_fields FILE KEY...: the values of the last JSON line's keys, tab-separated ("NA" if none)
json_fields() {
  "$py" - "$@" <<'PY'
import json, sys
path, keys = sys.argv[1], sys.argv[2:]
doc = {}
try:
    with open(path) as f:
        lines = [l for l in f if l.startswith("{")]
    doc = json.loads(lines[-1]) if lines else {}
except (OSError, ValueError):
    pass
def get(k):
    v = doc
    for part in k.split("."):
        v = v.get(part) if isinstance(v, dict) else None
    if v is None:
        return "NA"
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v)
print("\t".join(get(k) for k in keys))
PY
}

# stack_counter NAME: one counter from the stack's home page (it lists the non-zero ones, so a
# page without NAME means 0), or NA if the page could not be read. Needs curl.
stack_counter() {
  command -v curl >/dev/null 2>&1 || { echo NA; return; }
  local page
  page="$(timeout 15 ip netns exec "$stack_ns" curl -s -m 10 "http://198.18.0.2/" 2>/dev/null)" || { echo NA; return; }
  case "$page" in *"<html"*) ;; *) echo NA; return ;; esac
  printf '%s\n' "$page" | sed -n "s:.*<td>$1</td><td>\\([0-9]*\\)</td>.*:\\1:p" | grep . || echo 0
}
