"""vigild's rooms (src/node/<room>/, node.h "Rooms"): a room uses only the rooms below it,
and main.c exports nothing another file calls.  Checked on the objects of the build under
test with nm, so a call counts, an include for a type does not."""

import collections
import glob
import os
import subprocess

import vigil

ORDER = ["core", "registry", "ledger", "agents", "cluster", "jobs", "api", "top"]


def room(obj):
    parts = obj.split(os.sep + os.path.join("obj", "src", "node") + os.sep)[1].split(os.sep)
    return parts[0] if len(parts) > 1 else "top"


def symbols(obj, *flags):
    out = subprocess.run(["nm", *flags, obj], capture_output=True, text=True, check=True).stdout
    return [line.split()[-1] for line in out.splitlines() if line.split()]


def objects():
    base = os.path.join(vigil.BUILD, "obj")
    objs = [o for o in glob.glob(os.path.join(base, "src", "node", "**", "*.o"), recursive=True)
            if os.path.exists(os.path.join(vigil.ROOT, os.path.relpath(o, base)[:-2] + ".c"))]
    assert objs, "no objects under %s" % vigil.BUILD   # (an old build's leftovers are skipped)
    return objs


def test_every_node_source_file_is_in_a_room():
    src = os.path.join(vigil.ROOT, "src", "node")
    loose = sorted(f for f in os.listdir(src) if f.endswith((".c", ".h")))
    assert loose == ["main.c", "stats.c"], loose
    assert sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d))) == \
        sorted(ORDER[:-1])


def test_no_room_calls_a_room_above_it():
    objs = objects()
    defined = {}
    for o in objs:
        for sym in symbols(o, "-g", "--defined-only"):
            defined[sym] = (room(o), os.path.basename(o))
    upward = collections.defaultdict(set)
    for o in objs:
        r = room(o)
        for sym in symbols(o, "-u"):
            if sym in defined and ORDER.index(defined[sym][0]) > ORDER.index(r):
                upward["%s (%s) -> %s" % (os.path.basename(o), r, defined[sym][0])].add(sym)
    assert not upward, dict(upward)


def test_main_exports_nothing_others_call():
    objs = objects()
    main = [o for o in objs if os.path.basename(o) == "main.o" and room(o) == "top"]
    assert len(main) == 1
    exported = set(symbols(main[0], "-g", "--defined-only")) - {"main"}
    used = set()
    for o in objs:
        if o != main[0]:
            used |= set(symbols(o, "-u"))
    assert not exported & used, exported & used
