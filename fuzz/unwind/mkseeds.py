#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_unwind (x86_64 register order) into
corpus/fuzz_unwind/. Deterministic: rerun after changing the input format.
See fuzz_unwind.c for the word encoding (0xc0: code, 0xc1: stack)."""
import os, random, struct

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus", "fuzz_unwind")
os.makedirs(out, exist_ok=True)

def code(mod, off): return (0xc0 << 56) | (mod << 48) | off
def stk(off): return (0xc1 << 56) | (off & 0xffffffff)

def seed(name, sel, regs, words, tail=b""):
    r = [0] * 17
    for i, v in regs.items():
        r[i] = v
    data = bytes([sel]) + struct.pack("<17Q", *r) + \
        struct.pack(f"<{len(words)}Q", *words) + tail
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

RBP, RSP, RIP = 6, 7, 16
# a frame-pointer chain through three frames of two modules
chain = [0] * 64
chain[8], chain[9] = stk(128), code(0, 0x200)
chain[16], chain[17] = stk(256), code(1, 0x300)
chain[32], chain[33] = 0, code(2, 0x400)
seed("fp_chain", 0, {RIP: code(0, 0x100), RSP: stk(0), RBP: stk(64)}, chain)
# return addresses scattered over a frameless stack
rnd = random.Random(9)
flat = [code(rnd.randrange(4), rnd.randrange(1 << 20)) if i % 3 == 0
        else rnd.getrandbits(64) for i in range(256)]
seed("frameless", 0, {RIP: code(0, 0x1234), RSP: stk(0), RBP: 0}, flat)
# the same chain with the snapshot right under 2^64, and at 0
seed("chain_top", 1, {RIP: code(0, 0x100), RSP: stk(0), RBP: stk(64)}, chain)
seed("chain_zero", 2, {RIP: code(0, 0x100), RSP: stk(0), RBP: stk(64)}, chain)
# a frame pointer that points back into itself (a loop)
loop = [0] * 16
loop[0], loop[1] = stk(0), code(0, 0x80)
seed("fp_loop", 0, {RIP: code(1, 0x10), RSP: stk(0), RBP: stk(0)}, loop)
# raw garbage, and registers only
seed("garbage", 3, {i: rnd.getrandbits(64) for i in range(17)}, [],
     bytes(rnd.getrandbits(8) for _ in range(700)))
seed("regs_only", 0, {RIP: code(0, 0), RSP: (1 << 64) - 8, RBP: (1 << 64) - 8},
     [])
