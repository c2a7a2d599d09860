"""Smoke pipelines for the local Flink / Spark clusters started by flink.sh / spark.sh.

    python examples/clusters/smoke.py --cluster flink                 # batch smoke, PortableRunner
    python examples/clusters/smoke.py --cluster spark
    python examples/clusters/smoke.py --cluster flink --submit native # FlinkRunner (Beam starts a job server)
    python examples/clusters/smoke.py --cluster flink --scenario slow --elements 300 --sleep 0.2
    python examples/clusters/smoke.py --cluster flink --scenario streaming --seconds 60

The cluster is found through $SCRAPELINE_CLUSTER_DIR/<cluster>/endpoints.json (written by
`flink.sh start` / `spark.sh start`); no flags are needed for the endpoints. Extra arguments
after `--` go to the pipeline options unchanged.

Output files go to --out (default: <cluster state dir>/smoke/<run id>): the workers and the
client share this machine's filesystem, so the client can read what the job wrote and check it.
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import logging
import os
import subprocess
import sys
import time
import typing
import uuid

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms.userstate import (
    CombiningValueStateSpec,
    ReadModifyWriteStateSpec,
    TimerSpec,
    on_timer,
)
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.coders import VarIntCoder
from apache_beam.transforms.combiners import CountCombineFn

NUM_KEYS = 10
BAD_EVERY = 97


def cluster_dir(cluster: str) -> str:
    root = os.environ.get("SCRAPELINE_CLUSTER_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "scrapeline", "clusters")
    return os.path.join(root, cluster)


def load_endpoints(cluster: str) -> dict:
    path = os.path.join(cluster_dir(cluster), "endpoints.json")
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        sys.exit(f"{path} not found: start the cluster with examples/clusters/{cluster}.sh start")


# --------------------------------------------------------------------------- DoFns


class Split(beam.DoFn):
    """Multi-output ParDo: evens to the main output, odds to 'odd', every 97th to 'bad'."""

    def __init__(self):
        self.elements = Metrics.counter("smoke", "elements")
        self.bad = Metrics.counter("smoke", "bad")
        self.sizes = Metrics.distribution("smoke", "value")

    def process(self, n):
        self.elements.inc()
        self.sizes.update(n)
        if n % BAD_EVERY == 0:
            self.bad.inc()
            yield beam.pvalue.TaggedOutput("bad", f"bad:{n}")
        elif n % 2:
            yield beam.pvalue.TaggedOutput("odd", n)
        else:
            yield n


class StatefulCount(beam.DoFn):
    """Stateful DoFn: running count per key in state, total emitted by an event-time timer
    at the end of the (global) window; also emits the running index of each element."""

    COUNT = CombiningValueStateSpec("count", VarIntCoder(), CountCombineFn())
    SEEN = ReadModifyWriteStateSpec("seen", VarIntCoder())
    FLUSH = TimerSpec("flush", TimeDomain.WATERMARK)

    def __init__(self):
        self.calls = Metrics.counter("smoke", "stateful_calls")

    def process(self, kv, count=beam.DoFn.StateParam(COUNT), seen=beam.DoFn.StateParam(SEEN),
                flush=beam.DoFn.TimerParam(FLUSH), window=beam.DoFn.WindowParam):
        key, _ = kv
        self.calls.inc()
        count.add(1)
        seen.write((seen.read() or 0) + 1)
        flush.set(window.max_timestamp())

    @on_timer(FLUSH)
    def flush(self, key=beam.DoFn.KeyParam, count=beam.DoFn.StateParam(COUNT),
              seen=beam.DoFn.StateParam(SEEN)):
        yield f"{key}\t{count.read()}\t{seen.read()}"
        count.clear()
        seen.clear()


class SlowSideEffect(beam.DoFn):
    """Sleeps per element and appends one line per processed element to a side-effect file:
    duplicates in that file show elements processed more than once (retries)."""

    def __init__(self, path, sleep):
        self.path = path
        self.sleep = sleep
        self.processed = Metrics.counter("smoke", "slow_processed")

    def process(self, n):
        time.sleep(self.sleep)
        with open(self.path, "a") as f:
            f.write(f"{n}\t{os.getpid()}\t{time.time():.3f}\n")
        self.processed.inc()
        yield n


class AppendLine(beam.DoFn):
    def __init__(self, path):
        self.path = path

    def process(self, line):
        with open(self.path, "a") as f:
            f.write(f"{line}\n")
        yield line


# --------------------------------------------------------------------------- pipelines


def build_smoke(p, n: int, out: str):
    nums = p | "Create" >> beam.Create(list(range(n)))
    split = nums | "Split" >> beam.ParDo(Split()).with_outputs("odd", "bad", main="even")
    keyed = (
        (split.even, split.odd)
        | "Flatten" >> beam.Flatten()
        | "Key" >> beam.Map(lambda x: (x % NUM_KEYS, x)).with_output_types(typing.Tuple[int, int])
        | "Reshuffle" >> beam.Reshuffle()
    )
    (
        keyed
        | "GroupByKey" >> beam.GroupByKey()
        | "Summarise" >> beam.MapTuple(lambda k, vs: f"{k}\t{len(list(vs))}\t{sum(vs)}")
        | "WriteGroups" >> beam.io.WriteToText(os.path.join(out, "groups"), num_shards=2)
    )
    (
        keyed
        | "Stateful" >> beam.ParDo(StatefulCount())
        | "WriteState" >> beam.io.WriteToText(os.path.join(out, "state"))
    )
    split.bad | "WriteBad" >> beam.io.WriteToText(os.path.join(out, "bad"), num_shards=1)


def expected_smoke(n: int):
    groups = collections.defaultdict(list)
    bad = []
    for x in range(n):
        if x % BAD_EVERY == 0:
            bad.append(f"bad:{x}")
        else:
            groups[x % NUM_KEYS].append(x)
    return (sorted(f"{k}\t{len(v)}\t{sum(v)}" for k, v in groups.items()),
            sorted(f"{k}\t{len(v)}\t{len(v)}" for k, v in groups.items()),
            sorted(bad))


def read_lines(pattern: str):
    lines = []
    files = sorted(glob.glob(pattern))
    for f in files:
        with open(f) as fh:
            lines.extend(line.rstrip("\n") for line in fh if line.strip())
    return sorted(lines), files


def check_smoke(n: int, out: str) -> list[str]:
    problems = []
    exp_groups, exp_state, exp_bad = expected_smoke(n)
    for name, exp in (("groups", exp_groups), ("state", exp_state), ("bad", exp_bad)):
        got, files = read_lines(os.path.join(out, name + "*"))
        if got != exp:
            problems.append(f"{name}: expected {len(exp)} lines, got {len(got)} in {files}: "
                            f"{got[:5]} vs {exp[:5]}")
        else:
            print(f"  ok  {name}: {len(got)} lines in {len(files)} file(s) {[os.path.basename(f) for f in files]}")
    leftovers = [p for p in glob.glob(os.path.join(out, "*")) if os.path.basename(p).startswith(".temp")
                 or "beam-temp" in p]
    if leftovers:
        problems.append(f"temporary files left behind: {leftovers}")
    return problems


def build_slow(p, n: int, sleep: float, out: str):
    (
        p
        | "Create" >> beam.Create(list(range(n)))
        | "Reshuffle" >> beam.Reshuffle()
        | "Slow" >> beam.ParDo(SlowSideEffect(os.path.join(out, "side_effects.tsv"), sleep))
        | "Key" >> beam.Map(lambda x: (x % NUM_KEYS, x))
        | "GroupByKey" >> beam.GroupByKey()
        | "Summarise" >> beam.MapTuple(lambda k, vs: f"{k}\t{len(list(vs))}\t{sum(vs)}")
        | "Write" >> beam.io.WriteToText(os.path.join(out, "groups"))
    )


def check_slow(n: int, out: str) -> list[str]:
    problems = []
    got, _ = read_lines(os.path.join(out, "groups*"))
    groups = collections.defaultdict(list)
    for x in range(n):
        groups[x % NUM_KEYS].append(x)
    exp = sorted(f"{k}\t{len(v)}\t{sum(v)}" for k, v in groups.items())
    if got != exp:
        problems.append(f"groups: expected {exp}, got {got}")
    else:
        print(f"  ok  groups: complete and exact ({len(got)} keys, {n} elements)")
    side = os.path.join(out, "side_effects.tsv")
    seen = collections.Counter()
    pids = set()
    if os.path.exists(side):
        with open(side) as f:
            for line in f:
                x, pid, _ = line.split("\t")
                seen[int(x)] += 1
                pids.add(pid)
    dup = {x: c for x, c in seen.items() if c > 1}
    missing = n - len(seen)
    print(f"  side effects: {sum(seen.values())} lines, {len(seen)} distinct elements, "
          f"{len(dup)} processed more than once, {missing} never, {len(pids)} worker pids")
    return problems


class Tick(beam.DoFn):
    def process(self, ts, window=beam.DoFn.WindowParam):
        yield (int(ts) % 3, 1)


def build_streaming(p, seconds: int, out: str):
    from apache_beam.transforms.periodicsequence import PeriodicImpulse
    from apache_beam.transforms import window

    start = time.time() + 2
    (
        p
        | "Impulse" >> PeriodicImpulse(start_timestamp=start, stop_timestamp=start + seconds,
                                       fire_interval=0.5, apply_windowing=False)
        | "Key" >> beam.ParDo(Tick())
        | "Window" >> beam.WindowInto(window.FixedWindows(5))
        | "Count" >> beam.CombinePerKey(sum)
        | "Format" >> beam.MapTuple(lambda k, c: f"{k}\t{c}\t{time.time():.1f}")
        | "Append" >> beam.ParDo(AppendLine(os.path.join(out, "windows.tsv")))
    )


# --------------------------------------------------------------------------- main


def pipeline_args(args, ep: dict, out: str) -> list[str]:
    common = [f"--job_name=smoke-{args.scenario}-{uuid.uuid4().hex[:6]}"]
    if ep.get("parallelism"):
        common.append(f"--parallelism={args.parallelism or ep['parallelism']}")
    env = [f"--environment_type={ep['environment_type']}",
           f"--environment_config={ep['environment_config']}"]
    if ep.get("files_to_stage") and not args.stage_all_jars:
        # Spark: executors already have Beam's jars (spark.executor.extraClassPath), so stage one
        # small jar instead of the driver's whole classpath (~420 MB per worker per job)
        common.append(f"--files_to_stage={ep['files_to_stage']}")
    if args.submit == "portable":
        return ["--runner=PortableRunner", f"--job_endpoint={ep['job_endpoint']}",
                f"--artifact_endpoint={ep['artifact_endpoint']}"] + env + common
    jar = args.job_server_jar
    if jar is None:  # the pathing jar the cluster script builds (2.77.0 jars are not served)
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{ep['runner']}.sh")
        jar = subprocess.run(["bash", script, "jobserver-jar"], check=True, capture_output=True,
                             text=True).stdout.strip()
    if ep["runner"] == "flink":
        opts = ["--runner=FlinkRunner", f"--flink_master={ep['flink_master']}",
                f"--flink_version={ep['flink_version']}"]
        if jar:
            opts.append(f"--flink_job_server_jar={jar}")
        return opts + env + common
    opts = ["--runner=SparkRunner", f"--spark_master_url={ep['spark_master_url']}",
            "--job_server_jvm_properties=-Dspark.driver.host=127.0.0.1"]
    if jar:
        opts.append(f"--spark_job_server_jar={jar}")
    return opts + env + common


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cluster", choices=["flink", "spark"], required=True)
    ap.add_argument("--scenario", choices=["smoke", "slow", "streaming"], default="smoke")
    ap.add_argument("--submit", choices=["portable", "native"], default="portable",
                    help="portable: PortableRunner against the cluster's job server; "
                         "native: FlinkRunner/SparkRunner (Beam starts its own job server)")
    ap.add_argument("--elements", type=int, default=None)
    ap.add_argument("--sleep", type=float, default=0.2)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--parallelism", type=int, default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--stage_all_jars", action="store_true",
                    help="Spark: do not pass --files_to_stage (the driver then ships its classpath)")
    ap.add_argument("--job_server_jar", default=None,
                    help="--submit native: job server jar for Beam to start (default: the pathing jar "
                         "from `<cluster>.sh jobserver-jar`; pass '' to let Beam fetch its own)")
    args, extra = ap.parse_known_args(argv)
    extra = [a for a in extra if a != "--"]

    ep = load_endpoints(args.cluster)
    run_id = time.strftime("%H%M%S-") + uuid.uuid4().hex[:4]
    out = args.out or os.path.join(cluster_dir(args.cluster), "smoke", f"{args.scenario}-{run_id}")
    os.makedirs(out, exist_ok=True)
    opts = pipeline_args(args, ep, out) + extra
    if args.scenario == "streaming":
        opts.append("--streaming")
    print(f"[{args.cluster}] {args.scenario} -> {out}\n  options: {' '.join(opts)}", flush=True)

    t0 = time.time()
    p = beam.Pipeline(options=PipelineOptions(opts))
    if args.scenario == "smoke":
        n = args.elements or 1000
        build_smoke(p, n, out)
    elif args.scenario == "slow":
        n = args.elements or 300
        build_slow(p, n, args.sleep, out)
    else:
        build_streaming(p, args.seconds, out)
    result = p.run()
    t_sub = time.time()
    state = result.wait_until_finish()
    t1 = time.time()
    print(f"  state {state}: submitted in {t_sub - t0:.1f} s, total {t1 - t0:.1f} s", flush=True)

    problems = []
    if str(state) not in ("DONE", "PipelineState.DONE"):
        problems.append(f"final state {state}")
    try:
        metrics = result.metrics().query(MetricsFilter().with_namespace("smoke"))
        counters = {m.key.metric.name: m.committed for m in metrics["counters"]}
        attempted = {m.key.metric.name: m.attempted for m in metrics["counters"]}
        dists = {m.key.metric.name: (m.committed or m.attempted) for m in metrics["distributions"]}
        print(f"  metrics: counters committed={counters} attempted={attempted} distributions={dists}")
    except Exception as e:  # noqa: BLE001 - report any failure to read metrics
        print(f"  metrics: FAILED {type(e).__name__}: {e}")
        counters, attempted = {}, {}
    if args.scenario == "smoke":
        problems += check_smoke(n, out)
        got = counters.get("elements") or attempted.get("elements")
        if got != n:
            problems.append(f"counter smoke/elements = {got}, expected {n}")
    elif args.scenario == "slow":
        problems += check_slow(n, out)
    else:
        got, _ = read_lines(os.path.join(out, "windows.tsv"))
        print(f"  streaming: {len(got)} window results; first {got[:3]} last {got[-3:]}")
        if not got:
            problems.append("no window output")
    for pr in problems:
        print("  PROBLEM:", pr)
    print("RESULT:", "OK" if not problems else "FAILED", f"({t1 - t0:.1f} s)")
    return 0 if not problems else 1


if __name__ == "__main__":
    logging.basicConfig(level=os.environ.get("SMOKE_LOG_LEVEL", "WARNING"))
    sys.exit(main())
