#!/usr/bin/env bash
# Local Spark standalone cluster for Beam portable pipelines: 1 master + N workers (each its
# own JVM, 1 core each), Beam's Spark job server (the Spark driver runs inside it), and a
# Python SDK worker pool for --environment_type=EXTERNAL. See NOTES.md next to this file.
#
#   examples/clusters/spark.sh start|stop|status|restart|endpoints|logs [name]|jobserver-jar
#
# Environment (all optional):
#   SPARK_WORKERS=2             number of worker processes
#   SPARK_WORKER_CORES=1        cores per worker
#   SPARK_WORKER_MEMORY=1536m   memory a worker offers to executors
#   SPARK_EXECUTOR_MEMORY=1g    spark.executor.memory of jobs
#   SPARK_VERSION=3.5.8         Spark distribution (PyPI pyspark sdist; jars only, no pip install)
#   BEAM_JOBSERVER_VERSION=2.62.0  Beam Java runner version (Maven; see NOTES.md)
#   SPARK_MASTER_PORT=7077  SPARK_MASTER_UI_PORT=8080  SPARK_WORKER_UI_PORT=8091 (+i-1)
#   BEAM_JOB_PORT=8199  BEAM_ARTIFACT_PORT=8198  BEAM_EXPANSION_PORT=8197
#   WORKER_POOL_PORT=50001      Python worker pool (EXTERNAL environment)
#   SCRAPELINE_PYTHON           python for the worker pool (default: active venv, python3)
#   WORKER_POOL_IMPL=scrapeline scrapeline: worker_pool.py; beam: Beam's worker_pool_main
#   SPARK_TASK_MAX_FAILURES=4   spark.task.maxFailures
#   SCRAPELINE_CLUSTER_DIR      state root (default ~/.cache/scrapeline/clusters)
#   SCRAPELINE_CACHE            download cache (default ~/.cache/scrapeline)
set -euo pipefail

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

SPARK_WORKERS=${SPARK_WORKERS:-2}
SPARK_WORKER_CORES=${SPARK_WORKER_CORES:-1}
SPARK_WORKER_MEMORY=${SPARK_WORKER_MEMORY:-1536m}
SPARK_EXECUTOR_MEMORY=${SPARK_EXECUTOR_MEMORY:-1g}
SPARK_VERSION=${SPARK_VERSION:-3.5.8}
BEAM_JOBSERVER_VERSION=${BEAM_JOBSERVER_VERSION:-2.62.0}
SPARK_MASTER_PORT=${SPARK_MASTER_PORT:-7077}
SPARK_MASTER_UI_PORT=${SPARK_MASTER_UI_PORT:-8080}
SPARK_WORKER_UI_PORT=${SPARK_WORKER_UI_PORT:-8091}
BEAM_JOB_PORT=${BEAM_JOB_PORT:-8199}
BEAM_ARTIFACT_PORT=${BEAM_ARTIFACT_PORT:-8198}
BEAM_EXPANSION_PORT=${BEAM_EXPANSION_PORT:-8197}
WORKER_POOL_PORT=${WORKER_POOL_PORT:-50001}
SPARK_TASK_MAX_FAILURES=${SPARK_TASK_MAX_FAILURES:-4}
HOST=127.0.0.1

STATE=$SCRAPELINE_CLUSTER_DIR/spark
SPARK_HOME=$SCRAPELINE_CACHE/spark-$SPARK_VERSION
JOBSERVER_CP=$SCRAPELINE_CACHE/jobserver/spark-3-beam-$BEAM_JOBSERVER_VERSION.classpath
MASTER_URL=spark://$HOST:$SPARK_MASTER_PORT
# SPARK_SCALA_VERSION: what bin/load-spark-env.sh sets; without it the worker cannot build
# executor commands ("IllegalStateException: Cannot find any build directories")
export SPARK_HOME SPARK_LOCAL_IP=$HOST SPARK_CONF_DIR=$STATE/conf SPARK_SCALA_VERSION=2.12

# what spark-submit adds on Java 17 (org.apache.spark.launcher.JavaModuleOptions)
JAVA17_OPENS="-XX:+IgnoreUnrecognizedVMOptions --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false"

components() {
  local i
  echo master
  for i in $(seq 1 "$SPARK_WORKERS"); do echo "worker-$i"; done
  echo jobserver
  echo workerpool
  [ "${ZYGOTE:-1}" = 0 ] || echo zygote
}

ensure_spark() {
  [ -s "$SPARK_HOME/jars/spark-core_2.12-$SPARK_VERSION.jar" ] && return 0
  local sdist tmp
  sdist=$(pypi_sdist pyspark "$SPARK_VERSION")
  log "extracting Spark $SPARK_VERSION jars and scripts to $SPARK_HOME"
  tmp=$SPARK_HOME.tmp.$$
  mkdir -p "$tmp"
  tar xzf "$sdist" -C "$tmp" --strip-components=2 \
    "pyspark-$SPARK_VERSION/deps/jars" "pyspark-$SPARK_VERSION/deps/bin" "pyspark-$SPARK_VERSION/deps/sbin"
  rm -rf "$SPARK_HOME"
  mv "$tmp" "$SPARK_HOME"
}

write_conf() {
  mkdir -p "$STATE/conf" "$STATE/work" "$STATE/tmp" "$STATE/events"
  cat >"$STATE/conf/log4j2.properties" <<'EOF'
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n%ex
logger.jetty.name = org.sparkproject.jetty
logger.jetty.level = warn
EOF
}

# how spark-class would run a Spark daemon class
spark_java_cmd() {
  # shellcheck disable=SC2206
  SPARK_JAVA=(java -Xmx512m $JAVA17_OPENS -Dlog4j2.configurationFile="file:$STATE/conf/log4j2.properties"
    -Djava.io.tmpdir="$STATE/tmp" -cp "$STATE/conf:$SPARK_HOME/jars/*")
}

start_master() {
  is_running master && return 0
  spark_java_cmd
  spawn master "deploy.master.Master" "${SPARK_JAVA[@]}" org.apache.spark.deploy.master.Master \
    --host "$HOST" --port "$SPARK_MASTER_PORT" --webui-port "$SPARK_MASTER_UI_PORT"
}

start_worker() {  # $1 = index
  local name=worker-$1
  is_running "$name" && return 0
  mkdir -p "$STATE/work/$name"
  spark_java_cmd
  spawn "$name" "--work-dir $STATE/work/$name" "${SPARK_JAVA[@]}" \
    -Dspark.worker.cleanup.enabled=true -Dspark.worker.cleanup.interval=300 \
    -Dspark.worker.cleanup.appDataTtl=3600 \
    org.apache.spark.deploy.worker.Worker --host "$HOST" --cores "$SPARK_WORKER_CORES" \
    --memory "$SPARK_WORKER_MEMORY" --webui-port "$(( SPARK_WORKER_UI_PORT + $1 - 1 ))" \
    --work-dir "$STATE/work/$name" "$MASTER_URL"
}

start_jobserver() {
  is_running jobserver && return 0
  resolve_classpath "$CLUSTERS_SRC_DIR/jobserver/spark.pom.xml" "$JOBSERVER_CP" \
    -Dbeam.version="$BEAM_JOBSERVER_VERSION"
  mkdir -p "$STATE/artifacts"
  # Executors get Beam's jars from spark.executor.extraClassPath (same paths on this host), so
  # clients can pass --files_to_stage=<one small jar> (endpoints.json: files_to_stage) instead
  # of having the driver ship its whole classpath (~420 MB) into every worker's work dir per job.
  # The job server is the Spark driver. Classpath: Spark's jars first (so slf4j 2 / log4j2,
  # jackson, etc. are Spark's), then Beam's; except guava and gson, where Spark 3.5 ships
  # 14.0.1 / 2.2.4 and Beam's GCS options code fails on startup with
  # NoSuchMethodError Preconditions.checkState(boolean, String, long): Beam's go first.
  local cp first
  cp=$(cat "$JOBSERVER_CP")
  first=$(tr ':' '\n' <<<"$cp" | grep -E '/(guava|gson)-[0-9][^/]*\.jar$' | paste -sd: -)
  # shellcheck disable=SC2086
  spawn jobserver "SparkJobServerDriver" \
    java -Xmx1g $JAVA17_OPENS -Dlog4j2.configurationFile="file:$STATE/conf/log4j2.properties" \
    -Djava.io.tmpdir="$STATE/tmp" \
    -Dspark.executor.memory="$SPARK_EXECUTOR_MEMORY" \
    -Dspark.task.maxFailures="$SPARK_TASK_MAX_FAILURES" \
    -Dspark.driver.host="$HOST" -Dspark.driver.bindAddress="$HOST" \
    -Dspark.local.dir="$STATE/tmp" \
    -Dspark.executor.extraClassPath="$(tr ':' '\n' <<<"$cp" | grep -v '/slf4j-api-' | paste -sd: -)" \
    -cp "$STATE/conf:$first:$SPARK_HOME/jars/*:$cp" \
    org.apache.beam.runners.spark.SparkJobServerDriver \
    --spark-master-url="$MASTER_URL" \
    --job-host="$HOST" --job-port="$BEAM_JOB_PORT" \
    --artifact-port="$BEAM_ARTIFACT_PORT" --expansion-port="$BEAM_EXPANSION_PORT" \
    --artifacts-dir="$STATE/artifacts"
}

alive_workers() {
  local j
  j=$(curl -fsS -m 5 "http://$HOST:$SPARK_MASTER_UI_PORT/json/" 2>/dev/null) || { echo 0; return 0; }
  { grep -o '"aliveworkers" *: *[0-9]*' <<<"$j" || echo ': 0'; } | grep -o '[0-9]*$'
}

wait_workers() {  # $1 = timeout s
  local deadline=$(( $(date +%s) + $1 )) n
  while :; do
    n=$(alive_workers)
    [ "$n" -ge "$SPARK_WORKERS" ] && return 0
    is_running master || { tail -n 30 "$STATE/logs/master.log" >&2 || true; die "master died"; }
    [ "$(date +%s)" -lt "$deadline" ] || die "only $n of $SPARK_WORKERS workers alive after $1 s"
    sleep 0.5
  done
}

cmd_start() {
  local t0 i
  t0=$(now_ms)
  if all_running && [ -s "$STATE/endpoints.json" ]; then
    log "already running (endpoints: $STATE/endpoints.json)"
    return 0
  fi
  command -v java >/dev/null || die "java not found"
  command -v curl >/dev/null || die "curl not found"
  pick_python >/dev/null
  ensure_spark
  mkdir -p "$STATE"
  is_running master || write_conf
  start_master
  wait_port "$HOST" "$SPARK_MASTER_PORT" 60 master
  for i in $(seq 1 "$SPARK_WORKERS"); do start_worker "$i"; done
  start_worker_pool workerpool "$WORKER_POOL_PORT"
  start_zygote zygote
  start_jobserver
  wait_workers 120
  wait_port "$HOST" "$WORKER_POOL_PORT" 60 workerpool
  wait_zygote 120 zygote
  wait_port "$HOST" "$BEAM_JOB_PORT" 120 jobserver
  write_endpoints \
    runner=spark \
    job_endpoint="localhost:$BEAM_JOB_PORT" \
    artifact_endpoint="localhost:$BEAM_ARTIFACT_PORT" \
    expansion_endpoint="localhost:$BEAM_EXPANSION_PORT" \
    environment_type=EXTERNAL \
    environment_config="localhost:$WORKER_POOL_PORT" \
    process_environment_config="{\"command\": \"$STATE/bin/beam-boot\"}" \
    spark_master_url="$MASTER_URL" \
    spark_ui_url="http://localhost:$SPARK_MASTER_UI_PORT" \
    spark_version="$SPARK_VERSION" \
    workers="$SPARK_WORKERS" \
    cores_per_worker="$SPARK_WORKER_CORES" \
    parallelism="$(( SPARK_WORKERS * SPARK_WORKER_CORES ))" \
    files_to_stage="$(tr ':' '\n' <"$JOBSERVER_CP" | grep -m1 '/beam-runners-spark-3-')" \
    state_dir="$STATE"
  log "Spark cluster ready in $(( $(now_ms) - t0 ))ms: master $MASTER_URL (UI http://localhost:$SPARK_MASTER_UI_PORT)," \
    "job endpoint localhost:$BEAM_JOB_PORT, worker pool localhost:$WORKER_POOL_PORT"
  log "endpoints: $STATE/endpoints.json"
}

all_running() {
  local c
  for c in $(components); do is_running "$c" || return 1; done
}

cmd_stop() {
  local names=() f
  [ -d "$STATE/pids" ] || { log "nothing to stop"; return 0; }
  for f in "$STATE"/pids/jobserver.pid "$STATE"/pids/workerpool.pid "$STATE"/pids/zygote.pid "$STATE"/pids/worker-*.pid "$STATE"/pids/master.pid; do
    [ -e "$f" ] && names+=("$(basename "$f" .pid)")
  done
  if [ ${#names[@]} -gt 0 ]; then kill_groups "${names[@]}"; else log "nothing to stop"; fi
  rm -f "$STATE/endpoints.env" "$STATE/endpoints.json"
  # each application leaves its staged jars and logs per worker: drop them
  rm -rf "$STATE"/work/worker-*/app-* "$STATE"/tmp/*
}

cmd_status() {
  local c rc=0
  for c in $(components); do
    if is_running "$c"; then
      rss_report "$c"
    else
      printf '%-16s not running\n' "$c"
      rc=3
    fi
  done
  if port_open "$HOST" "$SPARK_MASTER_UI_PORT"; then
    echo "alive workers: $(alive_workers)"
  fi
  [ -s "$STATE/endpoints.json" ] && echo "endpoints: $STATE/endpoints.json"
  return $rc
}

# jobserver-jar: a pathing jar for --spark_job_server_jar (SparkRunner starts it itself);
# same classpath order as start_jobserver
cmd_jobserver_jar() {
  local out=${JOBSERVER_CP%.classpath}.jar cp first
  ensure_spark
  resolve_classpath "$CLUSTERS_SRC_DIR/jobserver/spark.pom.xml" "$JOBSERVER_CP" \
    -Dbeam.version="$BEAM_JOBSERVER_VERSION"
  cp=$(cat "$JOBSERVER_CP")
  first=$(tr ':' '\n' <<<"$cp" | grep -E '/(guava|gson)-[0-9][^/]*\.jar$' | paste -sd: -)
  [ -s "$out" ] || make_pathing_jar org.apache.beam.runners.spark.SparkJobServerDriver \
    "$first:$(ls -1 "$SPARK_HOME"/jars/*.jar | paste -sd: -):$cp" "$out"
  echo "$out"
}

case "${1:-}" in
  start) cmd_start ;;
  jobserver-jar) cmd_jobserver_jar ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  status) cmd_status ;;
  endpoints) cat "$STATE/endpoints.json" ;;
  logs) ls -1 "$STATE/logs"/${2:+$2}* ;;
  *) echo "usage: $0 start|stop|status|restart|endpoints|logs [name]|jobserver-jar" >&2; exit 2 ;;
esac
