#!/usr/bin/env python3
"""End-to-end benchmark of cosect's mutual PSI through the real binary.

For each n it writes two lists of n domains (10% shared, the shared ones
spelled differently on each side), runs the four steps a user runs
(init, respond, finish with --reply, finish) as separate processes through
real files, and prints for each step: wall time, CPU time, peak resident
memory and bundle bytes per entry. In the same run, interleaved, it measures

  * the bare curve arithmetic of the same exchange (examples/bare_arith.rs:
    2n hash-to-group, 4n scalar multiplications, 2n decodings, 4n encodings
    on the same threads, same build, same backend), and reports
    cosect / bare  (target <= 1.15);
  * OpenMined PSI (pip package openmined-psi), one-sided flow (setup,
    request, process, intersect) on the same n, and reports
    OpenMined / cosect  (target >= 5);
  * with --baseline DIR, another build's `cosect` and `bare_arith` (e.g.
    one of an older commit) on the same lists: before / after;
  * the memory target: every step's peak RSS below 3x the largest bundle
    plus 64 MiB.

Ratios are given on wall time (two threads) and on CPU time (all threads
added up), which a loaded machine disturbs less; `uptime` is printed before
and after each n.

    python3 benches/e2e.py                       # n = 2^16 and 2^20
    python3 benches/e2e.py --n 65536 --baseline /path/to/old/build
    python3 benches/e2e.py --n 32768 --scaling   # also 2^14..2^20, fitted us/entry
    python3 benches/e2e.py --n 10000000 --no-bare --no-peer
    python3 benches/e2e.py --n 1048576 --catalog 10000 --no-peer

It builds the release binary first (`cargo build --release --locked`, the
README's command: portable, the arithmetic backend chosen at run time; it
prints which), honouring CARGO_TARGET_DIR. It needs /usr/bin/time (Debian
package `time`) for peak memory and CPU time, and `pip install
openmined-psi` for the peer.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "release")
MIB = 1 << 20
MAX_OVER_BARE = 1.15
MIN_OVER_PEER = 5.0


def build():
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "--quiet", "--bin", "cosect", "--example", "bare_arith"],
        cwd=ROOT,
        check=True,
    )


def timed(cmd, env):
    """Run one process under /usr/bin/time; return (wall s, cpu s, peak RSS
    bytes, stdout).

    Peak RSS is not taken from os.wait4: Linux keeps the pre-exec high-water
    mark across exec, so a child forked from this (large) Python process would
    report Python's memory. /usr/bin/time is small to fork from.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        p = subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%e %U %S %M"] + cmd, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            sys.exit(f"step failed: {' '.join(cmd)}\n{p.stderr.decode(errors='replace')}")
        wall, user, sys_, rss_kib = tf.read().split()[-4:]
    return float(wall), float(user) + float(sys_), int(rss_kib) * 1024, p.stdout.decode()


def run(cmd, env):
    """(wall s, cpu s, peak RSS bytes) of one process."""
    return timed(cmd, env)[:3]


def write_lists(d, n, seed):
    """Two lists of n domains each; n/10 shared, spelled differently by Bob."""
    rnd = random.Random(seed)
    shared = n // 10
    a = [f"shared-{i}-{rnd.getrandbits(32):08x}.example.org" for i in range(shared)]
    b = [s.upper() + "." for s in a]
    a += [f"alice-{i}-{rnd.getrandbits(32):08x}.example.com" for i in range(n - shared)]
    b += [f"bob-{i}-{rnd.getrandbits(32):08x}.example.net" for i in range(n - shared)]
    rnd.shuffle(a)
    rnd.shuffle(b)
    for name, items in (("alice.txt", a), ("bob.txt", b)):
        with open(os.path.join(d, name), "w") as f:
            f.write("\n".join(items))
            f.write("\n")
    return shared


def cosect_exchange(binary, d, n, env, tag=""):
    """The four steps; returns per-step figures and bundle sizes. `tag`
    keeps one build's state dirs apart from another's."""
    for f in ("r1.cbor", "r2.cbor", "r3.cbor", "a-shared.txt", "b-shared.txt"):
        p = os.path.join(d, f)
        if os.path.exists(p):
            os.remove(p)
    j = lambda f: os.path.join(d, f)  # noqa: E731
    steps = [
        ("init", [binary, "-q", "init", "-i", j("alice.id"), "--state-dir", j("sa" + tag), "--peer", j("bob.pub"),
                  "--input", j("alice.txt"), "--kind", "domain", "-o", j("r1.cbor")]),
        ("respond", [binary, "-q", "respond", j("r1.cbor"), "-i", j("bob.id"), "--state-dir", j("sb" + tag),
                     "--peer", j("alice.pub"), "--input", j("bob.txt"), "--max-peer-items", str(n),
                     "-o", j("r2.cbor")]),
        ("finish A", [binary, "-q", "finish", j("r2.cbor"), "-i", j("alice.id"), "--state-dir", j("sa" + tag),
                      "--reply", j("r3.cbor"), "-o", j("a-shared.txt")]),
        ("finish B", [binary, "-q", "finish", j("r3.cbor"), "-i", j("bob.id"), "--state-dir", j("sb" + tag),
                      "-o", j("b-shared.txt")]),
    ]
    out = []
    for name, cmd in steps:
        out.append((name,) + run(cmd, env))
    sizes = {r: os.path.getsize(j(f"{r}.cbor")) for r in ("r1", "r2", "r3")}
    counts = []
    for f in ("a-shared.txt", "b-shared.txt"):
        with open(j(f)) as fh:
            counts.append(sum(1 for _ in fh))
    return out, sizes, counts


def catalog(binary, d, q, env):
    """Publish alice.txt as a catalog; Bob queries the first q lines of his
    list. Returns per-step figures and the catalog's size."""
    j = lambda f: os.path.join(d, f)  # noqa: E731
    for f in ("cat.cbor", "query.cbor", "answer.cbor", "matches.txt"):
        if os.path.exists(j(f)):
            os.remove(j(f))
    with open(j("bob.txt")) as src, open(j("bob-q.txt"), "w") as dst:
        for _, line in zip(range(q), src):
            dst.write(line)
    steps = [
        ("publish", [binary, "-q", "publish", "-i", j("alice.id"), "--state-dir", j("sa"), "--input", j("alice.txt"),
                     "--kind", "domain", "-o", j("cat.cbor")]),
        ("query", [binary, "-q", "init", "-i", j("bob.id"), "--state-dir", j("sb"), "--catalog", j("cat.cbor"),
                   "--peer", j("alice.pub"), "--input", j("bob-q.txt"), "-o", j("query.cbor")]),
        ("answer", [binary, "-q", "respond", j("query.cbor"), "-i", j("alice.id"), "--state-dir", j("sa"),
                    "--peer", j("bob.pub"), "-o", j("answer.cbor")]),
        ("finish", [binary, "-q", "finish", j("answer.cbor"), "-i", j("bob.id"), "--state-dir", j("sb"),
                    "-o", j("matches.txt")]),
    ]
    out = [(name,) + run(cmd, env) for name, cmd in steps]
    with open(j("matches.txt")) as fh:
        found = sum(1 for _ in fh)
    return out, os.path.getsize(j("cat.cbor")), found


def bare_catalog(bare_exe, n, q, env):
    r = subprocess.run([bare_exe, "catalog", str(n), str(q)], env=env, capture_output=True, text=True, check=True)
    f = dict(kv.split("=") for kv in r.stdout.split())
    return float(f["publish_seconds"]), float(f["query_seconds"])


def bare(bare_exe, n, env):
    """The bare arithmetic: (wall s of the arithmetic, cpu s of the process)."""
    _, cpu, _, out = timed([bare_exe, str(n)], env)
    return float(out.split("seconds=")[1].split()[0]), cpu


PEER_SCRIPT = r"""
import sys, time
import private_set_intersection.python as psi
n = int(sys.argv[1])
shared = n // 10
srv = [f"shared-{i}" for i in range(shared)] + [f"srv-{i}" for i in range(n - shared)]
cli = [f"shared-{i}" for i in range(shared)] + [f"cli-{i}" for i in range(n - shared)]
t, c0 = time.perf_counter(), time.process_time()
c = psi.client.CreateWithNewKey(True)
s = psi.server.CreateWithNewKey(True)
setup = s.CreateSetupMessage(1e-9, len(cli), srv, psi.DataStructure.RAW)
req = c.CreateRequest(cli)
resp = s.ProcessRequest(req)
inter = c.GetIntersection(setup, resp)
secs, cpu = time.perf_counter() - t, time.process_time() - c0
assert len(inter) == shared, (len(inter), shared)
print(f"seconds={secs:.3f} cpu_seconds={cpu:.3f}")
"""


def peer(n, env):
    """OpenMined PSI: ((wall s, cpu s), None) or (None, why not)."""
    r = subprocess.run([sys.executable, "-c", PEER_SCRIPT, str(n)], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[-1] if r.stderr else "failed"
    f = dict(kv.split("=") for kv in r.stdout.split())
    return (float(f["seconds"]), float(f["cpu_seconds"])), None


def fit(points):
    """Least-squares slope and intercept of seconds over n."""
    k = len(points)
    mx = sum(n for n, _ in points) / k
    my = sum(s for _, s in points) / k
    sxx = sum((n - mx) ** 2 for n, _ in points)
    sxy = sum((n - mx) * (s - my) for n, s in points)
    slope = sxy / sxx
    return slope, my - slope * mx


def uptime():
    with open("/proc/loadavg") as f:
        return "load average " + " ".join(f.read().split()[:3])


def sides(binary, bare_exe, d, n, env, args, tag):
    """One build's figures at n: the exchange and (unless --no-bare) the
    bare arithmetic, best of --repeat by total wall time."""
    best = None
    for _ in range(args.repeat):
        b = None if args.no_bare else bare(bare_exe, n, env)
        steps, sizes, counts = cosect_exchange(binary, d, n, env, tag)
        r = {"steps": steps, "sizes": sizes, "counts": counts, "bare": b,
             "wall": sum(s[1] for s in steps), "cpu": sum(s[2] for s in steps)}
        if best is None or r["wall"] < best["wall"]:
            best = r
    return best


def report_steps(r, n, shared):
    """Print the per-step table; return whether every step met the memory target."""
    sizes, counts = r["sizes"], r["counts"]
    budget = 3 * max(sizes.values()) + 64 * MIB
    print(f"  both sides found {counts[0]} / {counts[1]} of {shared} shared")
    print(f"  {'step':<9} {'wall s':>9} {'cpu s':>9} {'peak RSS':>10} {'RSS budget':>11}")
    ok = True
    for name, wall, cpu, rss in r["steps"]:
        ok &= rss < budget
        print(f"  {name:<9} {wall:9.2f} {cpu:9.2f} {rss / MIB:8.1f}Mi {budget / MIB:8.1f}Mi "
              f"{'ok' if rss < budget else 'OVER'}")
    print(f"  {'total':<9} {r['wall']:9.2f} {r['cpu']:9.2f}")
    print(f"  bundles: r1 {sizes['r1']} B = {sizes['r1'] / n:.2f} B/entry; "
          f"r2 {sizes['r2']} B = {sizes['r2'] / n:.2f} B/entry; r3 {sizes['r3']} B = {sizes['r3'] / n:.2f} B/entry")
    if counts[0] != shared or counts[1] != shared:
        print(f"  WRONG RESULT: expected {shared} shared entries")
        return False
    return ok


def report_ratios(r, p, p_err, args):
    """cosect / bare and OpenMined / cosect, on wall and CPU time; returns
    whether both targets were met (on wall time)."""
    ok = True
    if r["bare"] is not None:
        bw, bc = r["bare"]
        ok &= r["wall"] / bw <= MAX_OVER_BARE
        print(f"  bare arithmetic {bw:.2f} s wall, {bc:.2f} s cpu; cosect / bare = {r['wall'] / bw:.3f} wall, "
              f"{r['cpu'] / bc:.3f} cpu (target <= {MAX_OVER_BARE})")
    if p is not None:
        pw, pc = p
        ok &= pw / r["wall"] >= MIN_OVER_PEER
        print(f"  OpenMined PSI one-sided {pw:.2f} s wall, {pc:.2f} s cpu; OpenMined / cosect = "
              f"{pw / r['wall']:.2f} wall, {pc / r['cpu']:.2f} cpu (target >= {MIN_OVER_PEER})")
    elif not args.no_peer:
        print(f"  OpenMined PSI: {p_err} (pip install openmined-psi)")
    return ok


def report_baseline(new, old):
    print(f"  baseline build: cosect {old['wall']:.2f} s wall, {old['cpu']:.2f} s cpu; "
          f"before / after = {old['wall'] / new['wall']:.2f} wall, {old['cpu'] / new['cpu']:.2f} cpu")
    if old["bare"] is not None and new["bare"] is not None:
        print(f"  baseline bare arithmetic {old['bare'][0]:.2f} s wall, {old['bare'][1]:.2f} s cpu; "
              f"before / after = {old['bare'][0] / new['bare'][0]:.2f} wall, {old['bare'][1] / new['bare'][1]:.2f} cpu")
    for (name, w0, c0, m0), (_, w1, c1, m1) in zip(old["steps"], new["steps"]):
        print(f"    {name:<9} wall {w0:8.2f} -> {w1:8.2f}  cpu {c0:8.2f} -> {c1:8.2f}  "
              f"peak RSS {m0 / MIB:7.1f} -> {m1 / MIB:7.1f} Mi")


def report_catalog(binary, bare_exe, d, n, q, env):
    csteps, csize, found = catalog(binary, d, q, env)
    bp, bq = bare_catalog(bare_exe, n, q, env)
    print(f"  catalog: {n} entries published ({csize} B = {csize / n:.2f} B/entry), "
          f"queried with {q} entries, {found} found")
    for name, wall, cpu, rss in csteps:
        print(f"  {name:<9} {wall:9.2f} {cpu:9.2f} {rss / MIB:8.1f}Mi")
    pub = csteps[0][1]
    qry = sum(s[1] for s in csteps[1:])
    print(f"  publish / bare = {pub:.2f} / {bp:.2f} s = {pub / bp:.2f}; "
          f"query+answer+finish / bare = {qry:.2f} / {bq:.2f} s = {qry / bq:.2f}")


def scaling(binary, d, env):
    print("\nscaling (cosect, all four steps):")
    pts = []
    for k in range(14, 21):
        n = 1 << k
        write_lists(d, n, seed=n)
        steps, _, _ = cosect_exchange(binary, d, n, env)
        total = sum(s[1] for s in steps)
        pts.append((n, total))
        print(f"  n = 2^{k:<2} {total:9.2f} s  {total / n * 1e6:8.2f} us/entry")
    slope, icpt = fit(pts)
    print(f"  fitted: {slope * 1e6:.2f} us/entry + {icpt:.2f} s")


def keygen(binary, d, env):
    for who in ("alice", "bob"):
        if not os.path.exists(os.path.join(d, f"{who}.id")):
            r = subprocess.run([binary, "-q", "keygen", "-o", os.path.join(d, f"{who}.id"), "--name", who],
                               env=env, capture_output=True, text=True, check=True)
            with open(os.path.join(d, f"{who}.pub"), "w") as f:
                f.write(r.stdout)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[1 << 16, 1 << 20], help="entries per side")
    ap.add_argument("--threads", type=int, default=2, help="rayon threads (RAYON_NUM_THREADS)")
    ap.add_argument("--no-bare", action="store_true", help="skip the bare-arithmetic baseline")
    ap.add_argument("--no-peer", action="store_true", help="skip OpenMined PSI")
    ap.add_argument("--baseline", metavar="DIR",
                    help="also run DIR/cosect and DIR/bare_arith (another build) on the same lists")
    ap.add_argument("--repeat", type=int, default=1, help="run cosect and bare K times each, keep the best")
    ap.add_argument("--scaling", action="store_true", help="also run n = 2^14..2^20 and fit us/entry")
    ap.add_argument("--catalog", type=int, metavar="Q", default=0,
                    help="also publish each n as a catalog and query it with Q entries")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--keep", help="keep the work files in this directory")
    return ap.parse_args()


def main():
    args = parse_args()
    if not args.no_build:
        build()
    binary, bare_exe = os.path.join(TARGET, "cosect"), os.path.join(TARGET, "examples", "bare_arith")
    d = args.keep or tempfile.mkdtemp(prefix="cosect-bench-")
    os.makedirs(d, exist_ok=True)
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads), HOME=d, XDG_CONFIG_HOME=d, XDG_STATE_HOME=d)
    keygen(binary, d, env)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip().splitlines()
    print(f"cosect end-to-end benchmark: {args.threads} threads, {os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d %H:%M')}; {version[-1]}")
    ok = True
    for n in args.n:
        shared = write_lists(d, n, seed=n)
        print(f"\nn = {n} per side (2^{n.bit_length() - 1}{'' if n & (n - 1) == 0 else '+'}); {uptime()}")
        new = sides(binary, bare_exe, d, n, env, args, "")
        old = None
        if args.baseline:
            old = sides(os.path.join(args.baseline, "cosect"), os.path.join(args.baseline, "bare_arith"),
                        d, n, env, args, "-baseline")
        p, p_err = (None, "skipped") if args.no_peer else peer(n, env)
        ok &= report_steps(new, n, shared)
        ok &= report_ratios(new, p, p_err, args)
        if old is not None:
            report_baseline(new, old)
        if args.catalog:
            report_catalog(binary, bare_exe, d, n, min(args.catalog, n), env)
        print(f"  ({uptime()} after)")
    if args.scaling:
        scaling(binary, d, env)
    if not args.keep:
        shutil.rmtree(d, ignore_errors=True)
    print("\nall targets met" if ok else "\nSOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
