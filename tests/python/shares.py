"""Timed workload for test_shares.py: three functions, called in turn in
slices of tens of milliseconds (much longer than the sampling period, so
that sampling error stays far below the tolerance), each measuring its own CPU time with time.thread_time().
Prints {function: seconds} as JSON. argv[1]: total CPU seconds."""
import hashlib
import json
import sys
import time

DATA = b"y" * (1 << 20)


def py_light():
    t = 0
    for i in range(300000):
        t += i * i
    return t


def py_heavy():
    t = 0
    for i in range(900000):
        t += i % 7
    return t


def c_hash():  # C code of another library, without the GIL
    for _ in range(20):
        hashlib.sha256(DATA).digest()


def main():
    spent = {f.__name__: 0.0 for f in (py_light, py_heavy, c_hash)}
    budget = float(sys.argv[1])
    while sum(spent.values()) < budget:
        for f in (py_light, py_heavy, c_hash):
            t0 = time.thread_time()
            f()
            spent[f.__name__] += time.thread_time() - t0
    print(json.dumps(spent))


main()
