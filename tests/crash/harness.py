#!/usr/bin/env python3
"""Crash harness: kill -9 a checkpointed pipeline at random moments, restart it
until it finishes, and compare its output with an uninterrupted run.

usage: harness.py RUNNEL [--source file|stdin] [--query window|session|join] [--kills N] [--seed S]
                  [--minutes M] [--keep] [--state-memory-limit SIZE]

The pipeline is a file-to-file windowed aggregation (file source, one file per
micro-batch, watermark, 10-second windows by key, append, file sink, trigger
available_now, a checkpoint). A reference run without interruption gives the
expected rows. Then, over a fresh output and checkpoint and an input directory
that gains one or two files before each start (the cron mode: each run has
new work), N times: start runnel and SIGKILL it after a random delay (up to
twice the time a run of that size takes); then give it the remaining files
and run it to the end. Every file a reader would list in the output directory
(names not starting with '_' or '.') must hold whole JSON lines, and together
exactly the reference rows: none lost, none twice.

With --query session the aggregation is by 1-second session windows of
(key, value % 50), the session key first: sparse sessions that often merge
across micro-batches (and, under a memory limit, across spilled state).

With --query join the events are left outer joined with themselves (renamed,
their own watermark) on the key, value % 10 and a 1-second time range: rows
buffered on both sides across micro-batches, unmatched ones out with nulls at
their eviction (and, under a memory limit, keys spilled with both sides' rows).

With --source stdin the same aggregation reads stdin (a few hundred records a
micro-batch): each start is fed, through a pipe left open, the next one to
three files' worth of the bytes the checkpoint says were not yet received (from
the end of the stdin write-ahead log, or of the last committed batch); the
last start gets all the rest and the end of the stream; the reference run is
fed everything at once.

--minutes M repeats rounds with new seeds for M minutes (the soak run of
scripts/crash-soak). Exits 0 when every round matched, 1 with a report
otherwise.
"""
import argparse
import collections
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

# The query both variants run: a windowed aggregation into a file sink.
QUERY = """\
transforms:
  per_key:
    from: events
    steps:
      - watermark: {{column: ts, delay: 5 seconds}}
      - aggregate:
          group_by: ["window(ts, '10 seconds') AS window", key]
          aggregates: ["count(*) AS count", "sum(value) AS sum"]
sinks:
  out: {{from: per_key, type: file, path: {dir}/out, format: json, output_mode: append}}
"""

QUERY_SESSION = QUERY.replace(
    """group_by: ["window(ts, '10 seconds') AS window", key]""",
    """group_by: ["session_window(ts, '1 second') AS session", key, "value % 50 AS bucket"]""")

QUERY_JOIN = """\
transforms:
  others:
    from: events
    steps:
      - select: ["ts AS other_ts", "key AS other_key", "value AS other_value"]
      - watermark: {{column: other_ts, delay: 5 seconds}}
  per_key:
    from: events
    steps:
      - watermark: {{column: ts, delay: 5 seconds}}
      - join:
          with: others
          type: left_outer
          on: "key = other_key AND value % 10 = other_value % 10 AND other_ts >= ts AND other_ts <= ts + INTERVAL 1 SECOND"
sinks:
  out: {{from: per_key, type: file, path: {dir}/out, format: json}}
"""

PIPELINE = """\
version: 1
name: crash-harness
checkpoint: {dir}/checkpoint
trigger: available_now
sources:
  events:
    type: file
    path: {dir}/in
    format: json
    max_files_per_trigger: 1
    schema: "ts TIMESTAMP, key STRING, value LONG"
""" + QUERY

PIPELINE_STDIN = """\
version: 1
name: crash-harness-stdin
checkpoint: {dir}/checkpoint
sources:
  events:
    type: stdin
    format: json
    max_bytes_per_trigger: 20000
    schema: "ts TIMESTAMP, key STRING, value LONG"
""" + QUERY


def write_inputs(directory, rng, files):
    """Event time advances over the files, a little out of order within each."""
    os.makedirs(directory)
    for f in range(files):
        lines = []
        for r in range(300):
            second = f * 3 + rng.randrange(4)
            lines.append(json.dumps({
                "ts": "2024-01-01T%02d:%02d:%02d.%03dZ" % (second // 3600, second // 60 % 60, second % 60,
                                                         rng.randrange(1000)),
                "key": "k%d" % rng.randrange(20),
                "value": rng.randrange(1000),
            }))
        path = os.path.join(directory, "part-%04d.json" % f)
        with open(path, "w") as out:
            out.write("\n".join(lines) + "\n")
        # One mtime per file, in order, so the source takes them one by one.
        os.utime(path, (1700000000 + f, 1700000000 + f))


def add_inputs(source, target, count):
    """Copies the next `count` files of `source` into `target` (keeping their mtimes); returns how many."""
    have = set(os.listdir(target))
    added = 0
    for name in sorted(os.listdir(source)):
        if added == count:
            break
        if name not in have:
            shutil.copy2(os.path.join(source, name), os.path.join(target, name))
            added += 1
    return added


def read_output(directory):
    """The rows of every file a reader lists, as a multiset of canonical JSON."""
    rows = collections.Counter()
    problems = []
    if not os.path.isdir(directory):
        return rows, problems
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(("_", "."))]
        for name in sorted(files):
            if name.startswith(("_", ".")):
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                data = f.read()
            if data and not data.endswith(b"\n"):
                problems.append("%s: does not end with a line break (partial file)" % path)
            for number, line in enumerate(data.splitlines(), 1):
                try:
                    rows[json.dumps(json.loads(line), sort_keys=True)] += 1
                except ValueError:
                    problems.append("%s:%d: not a JSON line: %r" % (path, number, line[:80]))
    return rows, problems


def run(runnel, pipeline, kill_after=None, stdin=None):
    """Runs runnel (fed `stdin` bytes through a pipe, if given); with kill_after,
    SIGKILLs it after that many seconds. Returns its exit code and stderr."""
    process = subprocess.Popen([runnel, "run", pipeline], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE)
    try:
        _, err = process.communicate(input=stdin, timeout=kill_after)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return -9, b""
    return process.returncode, err


def run_unfinished(runnel, pipeline, data, kill_after):
    """Runs runnel fed `data` through a pipe left open (the stream goes on), and
    SIGKILLs it after kill_after seconds. Returns its exit code and stderr."""
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen([runnel, "run", pipeline], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   stderr=err)
        try:
            process.stdin.write(data)
            process.stdin.flush()
        except BrokenPipeError:
            pass
        try:
            code = process.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            code = -9
        process.stdin.close()
        err.seek(0)
        return code, err.read()


def startup_time(runnel, work, pipeline):
    """How long a run without input takes (process start, checkpoint, state):
    kill delays start from about there, or every kill would hit the start."""
    d = os.path.join(work, "startup")
    os.makedirs(os.path.join(d, "in"))
    with open(os.path.join(d, "pipeline.yaml"), "w") as f:
        f.write(pipeline.format(dir=d))
    start = time.monotonic()
    run(runnel, os.path.join(d, "pipeline.yaml"), stdin=b"")
    return time.monotonic() - start


def log_body(path):
    """The JSON of a checkpoint file (version line, body, checksum line)."""
    with open(path) as f:
        return json.loads(f.read().split("\n")[1])


def received_bytes(checkpoint):
    """How much of stdin the checkpoint holds: the end of its write-ahead log,
    else of the last committed batch's offsets."""
    received = 0
    commits = [int(n) for n in os.listdir(os.path.join(checkpoint, "commits")) if n.isdigit()] \
        if os.path.isdir(os.path.join(checkpoint, "commits")) else []
    if commits:
        offset = log_body(os.path.join(checkpoint, "offsets", str(max(commits))))["sources"].get("events")
        if offset:
            received = offset["offset"]
    wal = os.path.join(checkpoint, "sources", "events")
    if os.path.isdir(wal):
        for name in os.listdir(wal):
            start, dash, end = name.partition("-")
            if start.isdigit() and dash and end.isdigit():
                received = max(received, int(end))
    return received


def round_stdin(runnel, kills, seed, keep):
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="runnel-crash-stdin-")
    try:
        files = 10 + 2 * kills
        write_inputs(os.path.join(work, "all"), rng, files)
        data = b"".join(open(os.path.join(work, "all", n), "rb").read() for n in sorted(os.listdir(os.path.join(work, "all"))))
        for name in ("reference", "crashed"):
            os.makedirs(os.path.join(work, name))
            with open(os.path.join(work, name, "pipeline.yaml"), "w") as f:
                f.write(PIPELINE_STDIN.format(dir=os.path.join(work, name)))
        start = time.monotonic()
        code, err = run(runnel, os.path.join(work, "reference", "pipeline.yaml"), stdin=data)
        duration = time.monotonic() - start
        if code != 0:
            return False, "seed %d: the reference run failed with exit %d:\n%s" % (seed, code, err.decode())
        expected, problems = read_output(os.path.join(work, "reference", "out"))
        if problems or not expected:
            return False, "seed %d: the reference output is unusable: %s" % (seed, problems or "empty")
        startup = startup_time(runnel, work, PIPELINE_STDIN)
        crashed = os.path.join(work, "crashed")
        checkpoint = os.path.join(crashed, "checkpoint")
        finished = 0
        chunk = len(data) // files  # about one file's records
        for _ in range(kills):
            fed = received_bytes(checkpoint) if os.path.isdir(checkpoint) else 0
            more = data[fed:fed + chunk * rng.choice((1, 2, 3))]
            code, err = run_unfinished(runnel, os.path.join(crashed, "pipeline.yaml"), more,
                                       kill_after=rng.uniform(0.5 * startup, startup + 4 * duration / files))
            if code == 0:
                finished += 1
            elif code != -9:
                return False, "seed %d: a restart failed with exit %d:\n%s" % (seed, code, err.decode())
        fed = received_bytes(checkpoint) if os.path.isdir(checkpoint) else 0
        if fed == 0:
            return False, "seed %d: %d killed runs received nothing: the kills come too early to test anything" % (
                seed, kills)
        ok, message = final_run(runnel, crashed, expected, (seed, kills, work, finished, files), stdin=data[fed:])
        keep = keep or not ok
        return ok, message
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def final_run(runnel, crashed, expected, round_info, stdin=None):
    """Runs the crashed query to its end and compares its output with the expected rows."""
    seed = round_info[0]
    code, err = run(runnel, os.path.join(crashed, "pipeline.yaml"), stdin=stdin)
    if code != 0:
        return False, "seed %d: the final run failed with exit %d:\n%s" % (seed, code, err.decode())
    actual, problems = read_output(os.path.join(crashed, "out"))
    return compare(*round_info, expected, actual, problems)


def compare(seed, kills, work, finished, files, expected, actual, problems):
    missing = expected - actual
    extra = actual - expected
    if problems or missing or extra:
        report = ["seed %d: after %d kills the output differs from the uninterrupted run (work dir %s)"
                  % (seed, kills, work)]
        report += problems[:10]
        report += ["missing: " + row for row in list(missing.elements())[:10]]
        report += ["twice or unexpected: " + row for row in list(extra.elements())[:10]]
        return False, "\n".join(report)
    return True, "seed %d: %d kills (%d runs finished before their kill), %d rows match over %d files" % (
        seed, kills, finished, sum(expected.values()), files)


def round_(runnel, kills, seed, keep):
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="runnel-crash-")
    try:
        files = 10 + 2 * kills
        write_inputs(os.path.join(work, "all"), rng, files)
        for name in ("reference", "crashed"):
            d = os.path.join(work, name)
            os.makedirs(os.path.join(d, "in"))
            with open(os.path.join(d, "pipeline.yaml"), "w") as f:
                f.write(PIPELINE.format(dir=d))
        reference = os.path.join(work, "reference")
        add_inputs(os.path.join(work, "all"), os.path.join(reference, "in"), files)
        start = time.monotonic()
        code, err = run(runnel, os.path.join(reference, "pipeline.yaml"))
        per_file = (time.monotonic() - start) / files
        if code != 0:
            return False, "seed %d: the reference run failed with exit %d:\n%s" % (seed, code, err.decode())
        expected, problems = read_output(os.path.join(reference, "out"))
        if problems or not expected:
            return False, "seed %d: the reference output is unusable: %s" % (seed, problems or "empty")
        crashed = os.path.join(work, "crashed")
        pipeline = os.path.join(crashed, "pipeline.yaml")
        add_inputs(os.path.join(work, "all"), os.path.join(crashed, "in"), 10)
        startup = startup_time(runnel, work, PIPELINE)
        finished = 0
        for _ in range(kills):
            added = add_inputs(os.path.join(work, "all"), os.path.join(crashed, "in"), rng.choice((1, 2)))
            code, err = run(runnel, pipeline, kill_after=rng.uniform(0.5 * startup, startup + 1.5 * (added + 2) * per_file))
            if code == 0:
                finished += 1
            elif code != -9:
                return False, "seed %d: a restart failed with exit %d:\n%s" % (seed, code, err.decode())
        add_inputs(os.path.join(work, "all"), os.path.join(crashed, "in"), files)
        ok, message = final_run(runnel, crashed, expected, (seed, kills, work, finished, files))
        keep = keep or not ok
        return ok, message
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def add_round_options(parser):
    """--kills, --seed, --minutes and --keep, for this harness and its Kafka variant."""
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the work directories")


def repeat(one_round, seed, minutes):
    """Runs one_round(seed), returning (ok, message), for seed, seed + 1, ... until a
    round fails (exit status 1) or, after the first, `minutes` are up (0)."""
    deadline = time.monotonic() + minutes * 60
    while True:
        ok, message = one_round(seed)
        print(("ok   " if ok else "FAIL ") + message, flush=True)
        if not ok:
            return 1
        seed += 1
        if time.monotonic() >= deadline:
            return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runnel")
    parser.add_argument("--source", choices=("file", "stdin"), default="file")
    parser.add_argument("--query", choices=("window", "session", "join"), default="window")
    add_round_options(parser)
    parser.add_argument("--state-memory-limit", help="run with state_memory_limit (state spills to LMDB)")
    args = parser.parse_args()
    global PIPELINE, PIPELINE_STDIN
    if args.query != "window":
        query = QUERY_SESSION if args.query == "session" else QUERY_JOIN
        PIPELINE, PIPELINE_STDIN = (p.replace(QUERY, query) for p in (PIPELINE, PIPELINE_STDIN))
    if args.state_memory_limit:
        line = "checkpoint: {dir}/checkpoint\n"
        PIPELINE, PIPELINE_STDIN = (p.replace(line, line + "state_memory_limit: " + args.state_memory_limit + "\n")
                                    for p in (PIPELINE, PIPELINE_STDIN))
    one_round = round_stdin if args.source == "stdin" else round_
    runnel = os.path.abspath(args.runnel)
    return repeat(lambda seed: one_round(runnel, args.kills, seed, args.keep), args.seed, args.minutes)


if __name__ == "__main__":
    sys.exit(main())
