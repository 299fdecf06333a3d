"""Workloads for bench/python_cost.py (run by /usr/bin/python3.11).

  handler DEPTH N   N signals to this thread at DEPTH Python frames; prints
                    this thread's CPU ns per signal, the cost of the same
                    call with signal 0 (no signal) subtracted
  work N            a pure-Python benchmark of N rounds"""
import signal
import sys
import threading
import time


def signals(n, sig):
    ident, kill, clock = threading.get_ident(), signal.pthread_kill, time.thread_time_ns
    t0 = clock()
    for _ in range(n):
        kill(ident, sig)
    return clock() - t0


def at_depth(depth, n):
    if depth > 1:
        return at_depth(depth - 1, n)
    signals(n // 10, signal.SIGPROF)  # warm up
    with_sig = signals(n, signal.SIGPROF)
    without = signals(n, 0)
    return (with_sig - without) / n


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def work(rounds):
    t = 0
    for i in range(rounds):
        t += fib(20) + sum(k * k for k in range(2000)) + len(str(i) * 50)
    return t


if sys.argv[1] == "handler":
    print(f"{at_depth(int(sys.argv[2]), int(sys.argv[3])):.0f}")
else:
    work(int(sys.argv[2]))
