"""Deterministic Python workloads for test_python.py, run by
/usr/bin/python3.11 under libprof. Each case takes one sample at a known
point by sending libprof's signal to its own thread from probe(); the
lines marked `# at:NAME` are where the test expects each frame to be."""
import asyncio
import ctypes
import json
import signal
import sys
import threading
import time


def probe():
    signal.pthread_kill(threading.get_ident(), signal.SIGPROF)  # at:probe


def keyfn(x):
    if x == 7:
        probe()  # at:keyfn
    return -x


def case_sorted():
    return sorted(range(20), key=keyfn)  # at:case_sorted


def default_cb(o):
    probe()  # at:default_cb
    return None


def case_json():
    return json.dumps({"a": object()}, default=default_cb)  # at:case_json


def mapped(x):
    if x == 3:
        probe()  # at:mapped
    return x


def case_map():
    return list(map(mapped, range(5)))  # at:case_map


def gen():
    for i in range(5):
        if i == 2:
            probe()  # at:gen
        yield i


def case_generator():
    return sum(gen())  # at:case_generator


async def leaf():
    probe()  # at:leaf
    return 1


async def middle():
    return await leaf()  # at:middle


def case_asyncio():
    return asyncio.run(middle())  # at:case_asyncio


def worker():
    probe()  # at:worker


def case_thread():
    t = threading.Thread(target=worker)
    t.start()
    t.join()


DYN = "def dyn_fn():\n    probe()\n\ndyn_fn()\n"


def case_exec():
    exec(compile(DYN, "<dyn>", "exec"), {"probe": probe})  # at:case_exec


CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                       ctypes.POINTER(ctypes.c_int))


def compare(a, b):
    if a[0] == 5 or b[0] == 5:
        probe()  # at:compare
        globals()["compare"] = lambda a, b: 0
    return a[0] - b[0]


def case_ctypes():
    libc = ctypes.CDLL("libc.so.6")
    arr = (ctypes.c_int * 8)(*range(8, 0, -1))
    cb = CMP(lambda a, b: compare(a, b))  # at:lambda
    libc.qsort(arr, 8, ctypes.sizeof(ctypes.c_int), cb)  # at:case_ctypes


def sleeper(ready):
    ready.set()
    time.sleep(1)  # at:sleeper


def case_sleep():  # a sample while the GIL is released, sent by another thread
    ready, target = threading.Event(), threading.get_ident()

    def kick():
        ready.wait()
        time.sleep(0.2)
        signal.pthread_kill(target, signal.SIGPROF)

    t = threading.Thread(target=kick)
    t.start()
    sleeper(ready)  # at:case_sleep
    t.join()


SUB = """import signal, threading
def sub_fn():
    signal.pthread_kill(threading.get_ident(), signal.SIGPROF)
sub_fn()
"""


def case_subinterp():  # sub-interpreter frames live in another thread state
    import _xxsubinterpreters as si
    iid = si.create()
    si.run_string(iid, SUB)  # at:case_subinterp
    si.destroy(iid)


def main():
    globals()["case_" + sys.argv[1]]()  # at:main


main()  # at:<module>
