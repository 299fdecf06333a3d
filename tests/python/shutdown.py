"""Exits while daemon threads run (two hashing without the GIL, one in
Python): finalization frees their thread states under them."""
import hashlib
import threading
import time


def hasher():
    data = b"z" * (4 << 20)
    while True:
        hashlib.sha256(data).digest()


def spinner():
    t = 0
    while True:
        t = (t + 1) % 1000


for f in (hasher, hasher, spinner):
    threading.Thread(target=f, daemon=True).start()
time.sleep(0.3)
