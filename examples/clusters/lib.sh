# shellcheck shell=bash
# Helpers shared by flink.sh and spark.sh. Sourced, not executed.
#
# Every long-running process is started in its own session/process group
# (setsid), its pid is written to $STATE/pids/<name>.pid, and `stop` kills the
# whole group (so children such as the SDK harnesses forked by a worker pool go
# too).

SCRAPELINE_CACHE=${SCRAPELINE_CACHE:-$HOME/.cache/scrapeline}
SCRAPELINE_CLUSTER_DIR=${SCRAPELINE_CLUSTER_DIR:-$SCRAPELINE_CACHE/clusters}
CLUSTERS_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

now_ms() { date +%s%3N; }

# Python used for the SDK worker pool(s): SCRAPELINE_PYTHON, else the active
# venv, else python3 on PATH.
pick_python() {
  local py
  if [ -n "${SCRAPELINE_PYTHON:-}" ]; then
    py=$SCRAPELINE_PYTHON
  elif [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
    py=$VIRTUAL_ENV/bin/python
  else
    py=$(command -v python3 || true)
  fi
  [ -n "$py" ] && [ -x "$py" ] || die "no python found: set SCRAPELINE_PYTHON"
  "$py" -c 'import importlib.util as u, sys; sys.exit(u.find_spec("apache_beam") is None)' 2>/dev/null \
    || die "$py cannot import apache_beam: set SCRAPELINE_PYTHON to a python with apache-beam"
  printf '%s\n' "$py"
}

# The worker pool forks `python -c ...` for each SDK harness, with the bare
# name `python` looked up on PATH. A wrapper script (not a symlink: a symlink
# would lose the venv) makes that the chosen interpreter.
make_python_shim() {  # $1 = python, $2 = shim dir
  mkdir -p "$2"
  printf '#!/bin/sh\nexec %q "$@"\n' "$1" >"$2/python"
  chmod +x "$2/python"
}

pidfile() { printf '%s/pids/%s.pid\n' "$STATE" "$1"; }

is_running() {  # $1 = name
  local f pid
  f=$(pidfile "$1")
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null || return 1
  # guard against pid reuse: the marker written next to the pid must be in the cmdline
  if [ -s "$f.marker" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$(cat "$f.marker")" || return 1
  fi
}

# spawn NAME MARKER CMD...: start CMD in its own session, log to $STATE/logs/NAME.log
spawn() {
  local name=$1 marker=$2
  shift 2
  mkdir -p "$STATE/pids" "$STATE/logs"
  if is_running "$name"; then
    log "$name already running (pid $(cat "$(pidfile "$name")"))"
    return 0
  fi
  setsid "$@" </dev/null >>"$STATE/logs/$name.log" 2>&1 &
  echo $! >"$(pidfile "$name")"
  printf '%s' "$marker" >"$(pidfile "$name").marker"
  log "started $name (pid $!)"
}

# kill_groups NAME...: TERM each process group, wait up to 10 s, then KILL what is left
kill_groups() {
  local name f pid i alive pids=()
  for name in "$@"; do
    f=$(pidfile "$name")
    if is_running "$name"; then
      pid=$(cat "$f")
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      log "stopping $name (pid $pid)"
    fi
  done
  for i in $(seq 1 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do
    # KILL whatever is left in the group (also forked SDK harnesses)
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  for name in "$@"; do
    f=$(pidfile "$name")
    rm -f "$f" "$f.marker"
  done
}

port_open() {  # $1 = host, $2 = port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

wait_port() {  # $1 host $2 port $3 timeout_s $4 name
  local deadline=$(( $(date +%s) + $3 ))
  until port_open "$1" "$2"; do
    if [ -n "${4:-}" ] && ! is_running "$4"; then
      tail -n 30 "$STATE/logs/$4.log" >&2 || true
      die "$4 exited before opening $1:$2 (log: $STATE/logs/$4.log)"
    fi
    [ "$(date +%s)" -lt "$deadline" ] || die "timeout waiting for $1:$2 ($4)"
    sleep 0.5
  done
}

# rss_report NAME...: print the resident memory of each named process group
rss_report() {
  local name pid
  for name in "$@"; do
    is_running "$name" || { printf '%-16s not running\n' "$name"; continue; }
    pid=$(cat "$(pidfile "$name")")
    # sum the resident memory of the whole process group (pool + forked SDK harnesses)
    ps -e -o pgid=,rss= | awk -v g="$pid" -v n="$name" -v p="$pid" \
      '$1 == g { s += $2; c++ } END { printf "%-16s pid %-7s rss %5.0f MiB (%d procs)\n", n, p, s/1024, c }'
  done
}

# Worker pool for EXTERNAL environments. WORKER_POOL_IMPL=scrapeline (default) runs
# worker_pool.py (safe to share between several TaskManagers/executors); =beam runs Beam's
# own apache_beam.runners.worker.worker_pool_main (worker-id collisions, see NOTES.md).
# Also writes $STATE/bin/beam-boot, the boot command for --environment_type=PROCESS.
start_worker_pool() {  # $1 = name, $2 = port
  local py
  py=$(pick_python)
  make_python_shim "$py" "$STATE/bin"
  mkdir -p "$STATE/workers"
  # the PROCESS command: hands the harness start to the zygote (a fork of a warm process), or boots from scratch
  printf '#!/bin/sh\n# boot command for --environment_type=PROCESS (written by %s)\nBEAM_BOOT_PYTHON=%q exec %q -S %q boot --socket=%q --semi_persist_dir=%q "$@"\n' \
    "$(basename "$0")" "$py" "$py" "$CLUSTERS_SRC_DIR/zygote.py" "$STATE/zygote.sock" "$STATE/workers" \
    >"$STATE/bin/beam-boot"
  chmod +x "$STATE/bin/beam-boot"
  log "worker pool $1 on 127.0.0.1:$2 with $py (${WORKER_POOL_IMPL:-scrapeline})"
  if [ "${WORKER_POOL_IMPL:-scrapeline}" = beam ]; then
    spawn "$1" "--service_port $2" env PATH="$STATE/bin:$(dirname "$py"):$PATH" \
      "$STATE/bin/python" -m apache_beam.runners.worker.worker_pool_main --service_port "$2"
  else
    spawn "$1" "--service_port $2" env PATH="$STATE/bin:$(dirname "$py"):$PATH" PYTHONUNBUFFERED=1 \
      "$py" "$CLUSTERS_SRC_DIR/worker_pool.py" --service_port "$2" --semi_persist_dir "$STATE/workers"
  fi
}

# The harness zygote (zygote.py): imports Beam and the pipeline once; bin/beam-boot forks harnesses from it.
# BEAM_BOOT_PRELOAD (default scrapeline.pipeline.graph) names the modules it imports; ZYGOTE=0 leaves it out.
start_zygote() {  # $1 = name
  [ "${ZYGOTE:-1}" = 0 ] && return 0
  local py
  py=$(pick_python)
  is_running "$1" || rm -f "$STATE/zygote.sock"  # a killed zygote leaves its socket behind
  spawn "$1" "zygote.py serve" env PYTHONUNBUFFERED=1 \
    "$py" "$CLUSTERS_SRC_DIR/zygote.py" serve --socket "$STATE/zygote.sock" --semi_persist_dir "$STATE/workers"
}

wait_zygote() {  # $1 = timeout s, $2 = name
  [ "${ZYGOTE:-1}" = 0 ] && return 0
  local deadline=$(( $(date +%s) + $1 ))
  until [ -S "$STATE/zygote.sock" ]; do
    is_running "$2" || { tail -n 30 "$STATE/logs/$2.log" >&2 || true; die "$2 died"; }
    [ "$(date +%s)" -lt "$deadline" ] || die "$2 not ready after $1 s"
    sleep 0.2
  done
}

# Resolve a job-server classpath from Maven (jars cached in ~/.m2) once.
resolve_classpath() {  # $1 = pom, $2 = output file, $3.. = extra mvn args
  local pom=$1 out=$2
  shift 2
  [ -s "$out" ] && return 0
  command -v mvn >/dev/null || die "mvn not found (needed once to fetch the Beam job server jars)"
  mkdir -p "$(dirname "$out")"
  log "resolving job server classpath from Maven ($pom $*) ..."
  local t0
  t0=$(now_ms)
  mvn -q -B -f "$pom" "$@" dependency:build-classpath -Dmdep.outputFile="$out.tmp" >"$out.mvn.log" 2>&1 \
    || { tail -n 20 "$out.mvn.log" >&2; rm -f "$out.tmp"; die "maven resolution failed (see $out.mvn.log)"; }
  mv "$out.tmp" "$out"
  log "classpath resolved in $(( ($(now_ms) - t0) / 1000 )) s: $(tr ':' '\n' <"$out" | wc -l) jars"
}

# Download a PyPI sdist once into the cache (pip keeps it in $SCRAPELINE_CACHE/downloads).
pypi_sdist() {  # $1 = name, $2 = version ; prints path
  local f=$SCRAPELINE_CACHE/downloads/$1-$2.tar.gz
  if [ ! -s "$f" ]; then
    mkdir -p "$SCRAPELINE_CACHE/downloads"
    log "downloading $1==$2 sdist from PyPI ..."
    local py
    py=$(command -v python3)
    "$py" -m pip download -q --no-deps --no-binary :all: --no-build-isolation \
      -d "$SCRAPELINE_CACHE/downloads" "$1==$2" >&2 \
      || "$py" -m pip download -q --no-deps --no-binary :all: -d "$SCRAPELINE_CACHE/downloads" "$1==$2" >&2 \
      || die "pip download $1==$2 failed"
  fi
  printf '%s\n' "$f"
}

write_endpoints() {  # key=value pairs -> endpoints.env and endpoints.json
  local kv k v first=1
  : >"$STATE/endpoints.env.tmp"
  printf '{' >"$STATE/endpoints.json.tmp"
  for kv in "$@"; do
    k=${kv%%=*}
    v=${kv#*=}
    printf '%s=%q\n' "$k" "$v" >>"$STATE/endpoints.env.tmp"
    [ $first = 1 ] || printf ',' >>"$STATE/endpoints.json.tmp"
    first=0
    v=${v//\\/\\\\}
    printf '\n  "%s": "%s"' "$k" "${v//\"/\\\"}" >>"$STATE/endpoints.json.tmp"
  done
  printf '\n}\n' >>"$STATE/endpoints.json.tmp"
  mv "$STATE/endpoints.env.tmp" "$STATE/endpoints.env"
  mv "$STATE/endpoints.json.tmp" "$STATE/endpoints.json"
}

# make_pathing_jar MAIN_CLASS CLASSPATH OUT: a tiny jar whose manifest names the main class and
# the (absolute) classpath, so `java -jar OUT` runs the job server as Beam's FlinkRunner /
# SparkRunner expect of --flink_job_server_jar / --spark_job_server_jar.
make_pathing_jar() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys, zipfile, pathlib, urllib.request
main, cp, out = sys.argv[1], sys.argv[2], sys.argv[3]
urls = " ".join(pathlib.Path(p).as_uri() + ("/" if pathlib.Path(p).is_dir() else "")
                for p in cp.split(":") if p)
def wrap(line):  # manifest lines: at most 72 bytes, continuation lines start with a space
    b = line.encode(); parts = [b[:72]]; b = b[72:]
    while b: parts.append(b" " + b[:71]); b = b[71:]
    return b"\r\n".join(parts) + b"\r\n"
mf = b"Manifest-Version: 1.0\r\n" + wrap("Main-Class: " + main) + wrap("Class-Path: " + urls) + b"\r\n"
tmp = out + ".tmp"
with zipfile.ZipFile(tmp, "w") as z:
    z.writestr("META-INF/MANIFEST.MF", mf)
pathlib.Path(tmp).replace(out)
PY
}
