#!/usr/bin/env python3
"""Crash harness over Kafka: kill -9 a checkpointed pipeline reading a Kafka
topic at random moments, restart it until it finishes, and compare its output
with an uninterrupted run.

usage: kafka_harness.py MOCK_CLUSTER RUNNEL [--sink file|kafka] [--kills N] [--seed S] [--minutes M] [--keep]

The brokers are librdkafka's mock cluster (tests/kafka/mock_cluster.cpp) in a
process of their own, so a killed runnel leaves them and their topics up;
Debian's kcat produces the input and reads the output. The input is JSON
records {id, ts, key, value}, 90 per chunk spread over the 3 partitions of a
topic, event time advancing with the id. The reference run reads all of them
from one topic; the crashed query reads another that gains one or two chunks
before each start (the cron mode: available_now, max_offsets_per_trigger 30).

--sink file: kafka -> the harness's windowed aggregation -> file sink. The
files must hold exactly the reference rows: none lost, none twice.

--sink kafka: kafka -> select -> kafka sink with transactional: true, read
back by kcat with isolation.level=read_committed. librdkafka 2.0.2's mock
keeps no transaction markers (its fetch responses list no aborted
transactions and its last stable offset is the log end), so such a reader
sees the records of aborted transactions too, and it drops offsets committed
inside a transaction, so a batch whose transaction committed just before a
kill is written again. What is checked is what the mock can show: every
reference row is there, each row that no kill found uncommitted (at or past
the checkpoint's last committed offsets) is there exactly once, and any
other at most once more per kill that found it uncommitted. That a
read_committed reader of a real broker sees each row exactly once is not
tested here.

--minutes M repeats rounds with new seeds for M minutes (scripts/crash-soak).
Exits 0 when every round matched, 1 with a report otherwise.
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

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree by the import below
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (the file variant's runner, output reader and comparison)

PARTITIONS = 3
CHUNK = 90  # records a chunk
BATCH = 30  # max_offsets_per_trigger: three micro-batches a chunk, so kills fall between commits too

SOURCE = """\
version: 1
name: crash-harness-kafka
checkpoint: {dir}/checkpoint
trigger: available_now
sources:
  events:
    type: kafka
    bootstrap_servers: "{bootstrap}"
    subscribe: [{topic}]
    starting_offsets: earliest
    max_offsets_per_trigger: %d
    format: json
    schema: "id LONG, ts TIMESTAMP, key STRING, value LONG"
""" % BATCH

PIPELINE_FILE = SOURCE + harness.QUERY

PIPELINE_KAFKA = SOURCE + """\
transforms:
  doubled:
    from: events
    steps:
      - select: [id, key, "value * 2 AS twice"]
sinks:
  out: {{from: doubled, type: kafka, bootstrap_servers: "{bootstrap}", topic: {out}, transactional: true}}
"""


class Cluster:
    """The mock cluster's process; its topics are made with `topic`."""

    def __init__(self, mock):
        self.process = subprocess.Popen([mock, "--brokers", "3"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True)
        self.bootstrap = self.process.stdout.readline().strip()
        if not self.bootstrap:
            raise RuntimeError("the mock cluster printed no bootstrap address")

    def topic(self, name):
        self.process.stdin.write("topic %s %d\n" % (name, PARTITIONS))
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        if answer != "ok":
            raise RuntimeError("mock cluster, topic %s: %s" % (name, answer))

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def make_chunks(rng, count):
    """Chunks of JSON records; event time advances with the id, a little out of order."""
    chunks = []
    for c in range(count):
        lines = []
        for i in range(CHUNK):
            n = c * CHUNK + i + 1
            second = n // 9 + rng.randrange(3)
            lines.append(json.dumps({
                "id": n,
                "ts": "2024-01-01T%02d:%02d:%02d.%03dZ" % (second // 3600, second // 60 % 60, second % 60,
                                                         rng.randrange(1000)),
                "key": "k%d" % rng.randrange(20),
                "value": rng.randrange(1000),
            }))
        chunks.append(lines)
    return chunks


def produce(bootstrap, topic, chunk):
    """Record i of a chunk to partition i % 3, so every partition gets a third of it."""
    for p in range(PARTITIONS):
        data = "".join(line + "\n" for line in chunk[p::PARTITIONS])
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-p", str(p)], input=data, text=True,
                       check=True)


def read_topic(bootstrap, topic):
    """(partition, offset, value) of every record, read_committed, by kcat."""
    out = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-e", "-q", "-X",
                          "isolation.level=read_committed", "-f", "%p %o %s\n"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    records = []
    for line in out.splitlines():
        partition, offset, value = line.split(" ", 2)
        records.append((int(partition), int(offset), value))
    return records


def committed_ends(checkpoint, topic):
    """The end offset per partition of the last batch the checkpoint committed (0: none yet)."""
    commits = [int(n) for n in os.listdir(os.path.join(checkpoint, "commits")) if n.isdigit()] \
        if os.path.isdir(os.path.join(checkpoint, "commits")) else []
    ends = [0] * PARTITIONS
    if commits:
        offsets = harness.log_body(os.path.join(checkpoint, "offsets", str(max(commits))))["sources"]["events"]
        for partition, end in offsets.get(topic, {}).items():
            ends[int(partition)] = end
    return ends


def write_pipeline(d, template, **values):
    os.makedirs(d)
    path = os.path.join(d, "pipeline.yaml")
    with open(path, "w") as f:
        f.write(template.format(dir=d, **values))
    return path


def timed_run(runnel, pipeline):
    start = time.monotonic()
    code, err = harness.run(runnel, pipeline)
    return code, err, time.monotonic() - start


class Round:
    """One round: the reference run, the killed and restarted runs, the comparison."""

    def __init__(self, runnel, cluster, sink, kills, seed, work):
        self.runnel, self.cluster, self.sink, self.kills, self.seed = runnel, cluster, sink, kills, seed
        self.work = work
        self.rng = random.Random(seed)
        self.chunks = make_chunks(self.rng, 6 + 2 * kills)
        self.template = PIPELINE_KAFKA if sink == "kafka" else PIPELINE_FILE
        for name in ("ref", "in", "ref_out", "out", "empty"):
            cluster.topic(name)

    def pipeline(self, name, topic, out):
        return write_pipeline(os.path.join(self.work, name), self.template, bootstrap=self.cluster.bootstrap,
                              topic=topic, out=out)

    def fail(self, message):
        return False, "seed %d: %s (work dir %s)" % (self.seed, message, self.work)

    def run(self):
        for chunk in self.chunks:
            produce(self.cluster.bootstrap, "ref", chunk)
        code, err, duration = timed_run(self.runnel, self.pipeline("reference", "ref", "ref_out"))
        if code != 0:
            return self.fail("the reference run failed with exit %d:\n%s" % (code, err.decode()))
        per_chunk = duration / len(self.chunks)
        _, _, startup = timed_run(self.runnel, self.pipeline("startup", "empty", "out"))
        crashed = self.pipeline("crashed", "in", "out")
        checkpoint = os.path.join(self.work, "crashed", "checkpoint")
        produced = [0] * PARTITIONS  # records in each partition of the crashed run's topic
        uncommitted = []  # per kill: the offset range of each partition the checkpoint had not committed
        finished = added = progressed = 0
        for _ in range(self.kills):
            before = committed_ends(checkpoint, "in")
            chunks = self.rng.choice((1, 2))
            for _ in range(chunks):
                if added < len(self.chunks) - 1:
                    produce(self.cluster.bootstrap, "in", self.chunks[added])
                    produced = [n + len(self.chunks[added][p::PARTITIONS]) for p, n in enumerate(produced)]
                    added += 1
            kill_after = self.rng.uniform(0.5 * startup, startup + 1.5 * (chunks + 1) * per_chunk)
            code, err = harness.run(self.runnel, crashed, kill_after=kill_after)
            if code == 0:
                finished += 1
            elif code != -9:
                return self.fail("a restart failed with exit %d:\n%s" % (code, err.decode()))
            else:
                ends = committed_ends(checkpoint, "in")
                uncommitted.append([(ends[p], produced[p]) for p in range(PARTITIONS)])
                progressed += ends != before
        if uncommitted and progressed == 0:
            return self.fail("no killed run committed a batch: the kills come too early to test anything")
        for chunk in self.chunks[added:]:
            produce(self.cluster.bootstrap, "in", chunk)
        code, err = harness.run(self.runnel, crashed)
        if code != 0:
            return self.fail("the final run failed with exit %d:\n%s" % (code, err.decode()))
        info = "%d kills (%d runs finished before their kill, %d killed after committing a batch)" % (
            self.kills, finished, progressed)
        if self.sink == "file":
            expected, problems = harness.read_output(os.path.join(self.work, "reference", "out"))
            if problems or not expected:
                return self.fail("the reference output is unusable: %s" % (problems or "empty"))
            actual, problems = harness.read_output(os.path.join(self.work, "crashed", "out"))
            ok, message = harness.compare(self.seed, self.kills, self.work, finished, len(self.chunks), expected,
                                          actual, problems)
            return ok, message if not ok else "seed %d: %s, %d rows match over %d chunks" % (
                self.seed, info, sum(expected.values()), len(self.chunks))
        return self.compare_topics(uncommitted, info)

    def compare_topics(self, uncommitted, info):
        """The output topic against the reference's, as far as the mock can show (see the module's help)."""
        expected = collections.Counter(value for _, _, value in read_topic(self.cluster.bootstrap,
                                                                           "ref_out"))
        if sum(expected.values()) != CHUNK * len(self.chunks) or max(expected.values()) != 1:
            return self.fail("the reference run wrote %d rows, %d distinct, not each of the %d once"
                             % (sum(expected.values()), len(expected), CHUNK * len(self.chunks)))
        actual = collections.Counter(value for _, _, value in read_topic(self.cluster.bootstrap, "out"))
        position = {json.loads(value)["id"]: (p, o)
                    for p, o, value in read_topic(self.cluster.bootstrap, "in")}
        report = []
        for row in expected:
            p, o = position[json.loads(row)["id"]]
            allowed = 1 + sum(1 for ranges in uncommitted if ranges[p][0] <= o < ranges[p][1])
            if not 1 <= actual[row] <= allowed:
                report.append("%d times (1 to %d allowed): %s" % (actual[row], allowed, row))
        report += ["not in the reference: " + row for row in actual if row not in expected]
        if report:
            return self.fail("after %s the output topic differs:\n%s" % (info, "\n".join(report[:20])))
        again = sum(actual.values()) - len(expected)
        return True, "seed %d: %s, %d rows all there, %d written again within uncommitted batches" % (
            self.seed, info, len(expected), again)


def one_round(mock, runnel, sink, kills, seed, keep):
    work = tempfile.mkdtemp(prefix="runnel-crash-kafka-")
    cluster = Cluster(mock)  # a new one a round: the mock keeps every record in memory
    try:
        ok, message = Round(runnel, cluster, sink, kills, seed, work).run()
    finally:
        cluster.close()
    if ok and not keep:
        shutil.rmtree(work, ignore_errors=True)
    return ok, message


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mock")
    parser.add_argument("runnel")
    parser.add_argument("--sink", choices=("file", "kafka"), default="file")
    harness.add_round_options(parser)
    args = parser.parse_args()
    mock, runnel = os.path.abspath(args.mock), os.path.abspath(args.runnel)
    return harness.repeat(lambda seed: one_round(mock, runnel, args.sink, args.kills, seed, args.keep), args.seed,
                          args.minutes)


if __name__ == "__main__":
    sys.exit(main())
