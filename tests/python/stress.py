"""Stress workload for test_stress.py: threads, exceptions, generators,
exec'd code created and freed all the time (so code addresses are reused),
hashlib without the GIL, sleeps. Runs for argv[1] seconds."""
import hashlib
import sys
import threading
import time

STOP = time.monotonic() + float(sys.argv[1])
DYN = """def dyn_{k}(n):
    t = 0
    for i in range(n):
        t += i * {k}
    return t

dyn_{k}(2000)
"""


def raiser(depth):
    if depth == 0:
        raise ValueError("deep")
    return raiser(depth - 1)


def exceptions():
    while time.monotonic() < STOP:
        try:
            raiser(20)
        except ValueError:
            pass


def numbers(n):
    for i in range(n):
        yield i * i


def pipeline():
    while time.monotonic() < STOP:
        sum(x for x in numbers(500) if x % 3)


def dynamic():
    k = 0
    while time.monotonic() < STOP:
        exec(compile(DYN.format(k=k), f"<dyn-{k}>", "exec"), {})
        k += 1


def hashing():
    data = b"x" * (1 << 20)
    while time.monotonic() < STOP:
        hashlib.sha256(data).digest()
        time.sleep(0.001)


def main():
    workers = [threading.Thread(target=f) for f in
               (exceptions, pipeline, dynamic, hashing)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()


main()
