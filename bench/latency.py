"""Produce->consume latency through a broker, with librdkafka (confluent_kafka).

Usage: python3 latency.py BOOTSTRAP TOPIC RATE SECONDS [FETCH_WAIT_MAX_MS]
A producer (linger.ms=0, acks=1) sends messages carrying their send time at RATE msg/s for
SECONDS; a consumer in the same process (so on the same clock) assigned to partition 0 of
TOPIC reads them and records receive time - send time. Prints one JSON line:
{"sent", "received", "p50Ms", "p99Ms", "maxMs"}. The first message is waited for, then one second
of untimed messages at RATE warms both ends (connections, first fetches, the broker's JIT) before
the timed messages start: the figure is steady-state latency.
"""
import json
import struct
import sys
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING

bootstrap, topic, rate, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
latencies_ns = []
warm = threading.Event()
done = threading.Event()
expected = [None]


def consume():
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'samsa-bench-latency', 'enable.auto.commit': False,
                  'fetch.wait.max.ms': int(sys.argv[5]) if len(sys.argv) > 5 else 500, 'fetch.min.bytes': 1})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    deadline = None
    while True:
        m = c.poll(0.1)
        now = time.perf_counter_ns()
        if m is not None and m.error() is None:
            sent_ns, seq = struct.unpack('>qq', m.value()[:16])
            if seq == -1:
                warm.set()
            elif seq >= 0:
                latencies_ns.append(now - sent_ns)
        if expected[0] is not None:
            if deadline is None:
                deadline = time.monotonic() + 5
            if len(latencies_ns) >= expected[0] or time.monotonic() > deadline:
                break
    c.close()
    done.set()


t = threading.Thread(target=consume, daemon=True)
t.start()
p = Producer({'bootstrap.servers': bootstrap, 'linger.ms': 0, 'acks': 1})
pad = b'x' * 84  # 100-byte messages
p.produce(topic, struct.pack('>qq', time.perf_counter_ns(), -1) + pad, partition=0)
p.flush(10)
if not warm.wait(15):
    print(json.dumps({'error': 'the warm-up message never arrived'}))
    sys.exit(1)
count = int(rate * seconds)
interval_ns = int(1e9 / rate)


def paced(n, seq_of):
    start = time.perf_counter_ns()
    for i in range(n):
        due = start + i * interval_ns
        while True:
            now = time.perf_counter_ns()
            if now >= due:
                break
            if due - now > 200_000:
                time.sleep((due - now - 100_000) / 1e9)
        p.produce(topic, struct.pack('>qq', time.perf_counter_ns(), seq_of(i)) + pad, partition=0)
        p.poll(0)


paced(int(rate), lambda i: -2)  # one second of warm-up, not timed
paced(count, lambda i: i)
p.flush(10)
expected[0] = count
done.wait(20)
lat = sorted(latencies_ns)


def pct(q):
    return round(lat[min(len(lat) - 1, int(q * len(lat)))] / 1e6, 3) if lat else None


print(json.dumps({'sent': count, 'received': len(lat), 'p50Ms': pct(0.5), 'p99Ms': pct(0.99), 'maxMs': round(lat[-1] / 1e6, 3) if lat else None}))
