"""`logdive extract` against its floor: a bare orjson.loads pass over every line of the same file.

    .venv/bin/python -m benchmarks.extract                  # ~1 GB production_json-like file
    .venv/bin/python -m benchmarks.extract --size-mb 200    # a quicker run (or LOGDIVE_BENCH_SIZE_MB=200)

Generated data goes under /tmp/logdive-bench (reused between runs, never committed). Each extraction
runs in a fresh process so its peak memory (that process and its workers) is its own. Prints MB/s for
the floor and for extract, their ratio, peak RSS, and wall times for one file and for two files with one
and with two worker processes. Targets: extract >= 0.8x the floor, peak RSS <= 200 MB at any size.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from tests.extract import synthetic

_START = datetime(2026, 10, 28, tzinfo=UTC)
DATA_DIR = Path(os.environ.get("LOGDIVE_BENCH_DIR", "/tmp/logdive-bench"))
TARGET_RATIO = 0.8
TARGET_RSS_MB = 200


# -- data ------------------------------------------------------------------------------------------------
def generate(path: Path, size_mb: int, in_scope_pct: float, seed: int) -> Path:
    """A production_json-like file of about `size_mb` MB; `in_scope_pct` % of lines concern the case."""
    if path.exists() and path.stat().st_size >= size_mb * 1_000_000 * 0.99:
        return path
    rng = random.Random(seed)
    target = size_mb * 1_000_000
    temporary = path.with_suffix(".partial")
    written = 0
    with temporary.open("wb") as out:
        batch: list[bytes] = []
        while written < target:
            line = orjson.dumps(_line(rng, in_scope_pct)) + b"\n"
            batch.append(line)
            written += len(line)
            if len(batch) >= 10_000:
                out.write(b"".join(batch))
                batch.clear()
        out.write(b"".join(batch))
    temporary.replace(path)
    return path


def _line(rng: random.Random, in_scope_pct: float) -> dict[str, object]:
    # Two weeks around the case's one-week window.
    moment = _START + timedelta(seconds=rng.randrange(14 * 24 * 3600))
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rng.randrange(1000):03d}Z"
    if rng.random() * 100 < in_scope_pct:
        project, user = (
            synthetic.PROJECT,
            rng.choice([synthetic.SCOPE_USER, f"someone-{rng.randrange(10**5)}"]),
        )
    else:
        tenant = f"tenant-{rng.randrange(50_000)}"
        project, user = f"{tenant}/repo-{rng.randrange(200)}", f"someone-{rng.randrange(10**6)}"
    ip = f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    return synthetic.production(
        path=f"/{project}/-/issues/{rng.randrange(10_000)}",
        time=stamp,
        username=user,
        user_id=rng.randrange(10**7),
        remote_ip=ip,
        correlation_id=f"{rng.getrandbits(64):016x}",
        **{"meta.user": user, "meta.project": project, "meta.root_namespace": project.split("/")[0],
           "meta.remote_ip": ip},
    )  # fmt: skip


def split(path: Path, parts: int) -> list[Path]:
    """The same lines in `parts` files (for the several-files runs)."""
    outputs = [path.with_name(f"{path.stem}.part{n}of{parts}.log") for n in range(parts)]
    if all(p.exists() for p in outputs):
        return outputs
    size = path.stat().st_size
    with path.open("rb") as source:
        for n, output in enumerate(outputs):
            end = size if n == parts - 1 else (n + 1) * size // parts
            with output.open("wb") as out:
                while source.tell() < end:
                    out.write(source.readline() if end - source.tell() < (8 << 20) else source.read(4 << 20))
    return outputs


# -- measurements ----------------------------------------------------------------------------------------
def floor_pass(path: Path) -> float:
    """Seconds for a bare orjson.loads over every line (block reads, as tight as Python gets)."""
    loads = orjson.loads
    began = time.perf_counter()
    carry = b""
    with path.open("rb", buffering=0) as handle:
        while block := handle.read(4 << 20):
            lines = (carry + block).split(b"\n")
            carry = lines.pop()
            for line in lines:
                loads(line)
    if carry:
        loads(carry)
    return time.perf_counter() - began


def extract_in_child(paths: list[Path], workers: int) -> dict[str, float]:
    """Run one extraction in a fresh interpreter; its wall time and peak RSS (itself, its workers)."""
    command = [sys.executable, "-m", "benchmarks.extract", "--child", str(workers), *map(str, paths)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def child(workers: int, paths: list[Path]) -> None:
    from bot.catalog import load_catalog
    from bot.extract.run import run_extraction
    from bot.extract.scan import ExtractSpec
    from workflows.assessment import Route
    from workflows.log_selection import ExtractScope
    from workflows.pseudonyms import case_key
    from workflows.redaction import RedactionRules
    from workflows.request import LogDiveRequest

    request = LogDiveRequest.model_validate(synthetic.request_data())
    catalog = load_catalog()
    spec = ExtractSpec(
        ExtractScope.from_request(request, catalog),
        RedactionRules.for_case(request, Route.SECURITY, case_key("bench")),
        write_entries=True,
    )
    out = DATA_DIR / "bench-extract.jsonl"
    cluster = client = None
    if workers < 0:  # a Dask LocalCluster of -workers worker processes (started before the clock)
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=-workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        client = Client(cluster)
        # a long-lived cluster has imported Logdive after its first job; the clock measures the scan
        client.run(importlib.import_module, "bot.extract.on_dask")
    cpu_before = sum(
        u.ru_utime + u.ru_stime
        for u in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )
    result = run_extraction(paths, spec, entries_out=out, workers=max(workers, 1), dask=client)
    if cluster is not None and client is not None:
        client.close()
        cluster.close()
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    child_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    own, children = self_usage.ru_maxrss / 1024, child_usage.ru_maxrss / 1024
    cpu = sum(u.ru_utime + u.ru_stime for u in (self_usage, child_usage)) - cpu_before
    print(
        json.dumps(
            {
                "seconds": result.elapsed_s,
                "cpu_seconds": cpu,
                "kept": result.kept,
                "lines": sum(r.lines for r in result.inputs),
                "rss_parent_mb": own,
                "rss_worker_max_mb": children,
                "workers": result.workers,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=int(os.environ.get("LOGDIVE_BENCH_SIZE_MB", "1000")))
    parser.add_argument("--in-scope-pct", type=float, default=1.0, help="share of lines about the case")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best counts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.paths)
        return

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    name = f"production_json-{args.size_mb}mb-{args.in_scope_pct:g}pct-{args.seed}.log"
    print(f"generating (or reusing) {DATA_DIR / name} …", flush=True)
    path = generate(DATA_DIR / name, args.size_mb, args.in_scope_pct, args.seed)
    halves = split(path, 2)
    megabytes = path.stat().st_size / 1e6
    floor_pass(path)  # warm the page cache, so every run below reads from memory alike

    # Best of N, the floor and every configuration interleaved round by round: the machine is shared,
    # and a burst of someone else's work should not favour whichever ran in a quiet moment.
    configs = {
        "1 file,  1 worker ": ([path], 1),
        "1 file,  2 workers": ([path], 2),
        "2 files, 1 worker ": (halves, 1),
        "2 files, 2 workers": (halves, 2),
    }
    if importlib.util.find_spec("distributed") is not None:
        configs["2 files, Dask 2   "] = (halves, -2)
    floors: list[float] = []
    measured: dict[str, list[dict[str, float]]] = {label: [] for label in configs}
    for _ in range(args.repeat):
        floors.append(floor_pass(path))
        for label, (paths, workers) in configs.items():
            measured[label].append(extract_in_child(paths, workers))
    floor = min(floors)
    runs = {label: min(results, key=lambda r: r["seconds"]) for label, results in measured.items()}
    first = next(iter(runs.values()))
    print(
        f"\ninput: {megabytes:,.0f} MB production_json-like, {first['lines']:,} lines, "
        f"{first['kept']:,} kept "
        f"({args.in_scope_pct:g}% of lines about the case); {os.cpu_count()} cores; best of {args.repeat}"
    )
    print(f"floor: orjson.loads of every line, 1 core   {megabytes / floor:7.1f} MB/s  {floor:6.2f} s")
    for label, run in runs.items():
        seconds = run["seconds"]
        memory = f"peak RSS {run['rss_parent_mb']:.0f} MB"
        if run["workers"] > 1 and "Dask" not in label:
            memory += f" (+ {run['workers']} workers, {run['rss_worker_max_mb']:.0f} MB each at most)"
        print(
            f"extract {label}             {megabytes / seconds:7.1f} MB/s  {seconds:6.2f} s  "
            f"{floor / seconds:4.2f}x the floor  cores busy {run['cpu_seconds'] / seconds:3.1f}  {memory}"
        )
    one, several = runs["2 files, 1 worker "], runs["2 files, 2 workers"]
    print(f"2 files: 2 workers take {several['seconds'] / one['seconds']:.2f}x the wall time of 1 worker")
    if "2 files, Dask 2   " in runs:
        dask = runs["2 files, Dask 2   "]
        print(
            f"2 files: a Dask LocalCluster of 2 worker processes takes "
            f"{dask['seconds'] / several['seconds']:.2f}x the wall time of 2 local workers (goal: <= 1.5x)"
        )
    ratio = floor / runs["1 file,  1 worker "]["seconds"]
    peak = max(max(r["rss_parent_mb"], r["rss_worker_max_mb"]) for r in runs.values())
    print(
        f"\ntargets: extract on one core >= {TARGET_RATIO}x the floor: "
        f"{'met' if ratio >= TARGET_RATIO else 'MISSED'} ({ratio:.2f}x); "
        f"peak RSS of any process <= {TARGET_RSS_MB} MB: "
        f"{'met' if peak <= TARGET_RSS_MB else 'MISSED'} ({peak:.0f} MB)"
    )


if __name__ == "__main__":
    main()
