"""Reads libprof speedscope output for tests: stacks by name, weights."""
import collections
import json


class Profile:
    def __init__(self, path):
        with open(path) as f:
            self.doc = json.load(f)
        self.frames = [self._plain(f) for f in self.doc["shared"]["frames"]]
        self.threads = []  # (name, [(stack_of_frame_dicts, weight)])
        for p in self.doc["profiles"]:
            assert p["type"] == "sampled" and p["unit"] == "nanoseconds", p
            assert len(p["samples"]) == len(p["weights"])
            rows = [([self.frames[i] for i in s], w)
                    for s, w in zip(p["samples"], p["weights"])]
            self.threads.append((p["name"], rows))

    @staticmethod
    def _plain(f):
        """The frame with its name as the runtime wrote it: libprof adds
        " [runtime]" to a managed name that a frame of another runtime
        also has (docs/formats.md), as libprof's own readers strip it."""
        rt, name = f.get("runtime"), f.get("name", "")
        if rt and rt != "native" and name.endswith(f" [{rt}]"):
            f = dict(f, name=name[: -len(rt) - 3])
        return f

    def rows(self):
        for _, rows in self.threads:
            yield from rows

    def names(self, stack):
        return [f["name"] for f in stack]

    def total(self):
        return sum(w for _, w in self.rows())

    def self_weights(self):
        c = collections.Counter()
        for stack, w in self.rows():
            if stack:
                c[stack[-1]["name"]] += w
        return c

    def weight_where(self, pred):
        return sum(w for s, w in self.rows() if pred(self.names(s)))


def in_order(names, wanted):
    """True if `wanted` appear in `names` in this order (gaps allowed)."""
    i = 0
    for n in names:
        if i < len(wanted) and n == wanted[i]:
            i += 1
    return i == len(wanted)
