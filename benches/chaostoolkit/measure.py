"""Measures one command, or tabulates the measurements; the standard library only.

    python3 measure.py run RESULTS.jsonl LABEL LOG [--server-pid PID] -- COMMAND [ARG...]
    python3 measure.py table RESULTS.jsonl BASE PEER

`run` starts COMMAND with its output in LOG, waits for it with wait4, and appends one JSON line
to RESULTS.jsonl: the wall time, the CPU seconds (user + system) of the process and of every
descendant it waited for, the peak resident set, the exit code. It exits with the command's
code. With --server-pid, it also records the CPU seconds that process (the sandbox) spent
meanwhile, from /proc/PID/stat. The peak resident set is GNU time's (`/usr/bin/time -f %M`, which COMMAND runs under):
a child's ru_maxrss starts from its parent's at the fork, so measured from here it could not
go below this interpreter's own. `table` prints a Markdown table of each label's median (and range) and PEER ÷ BASE.
"""

import json
import os
import statistics
import sys
import time


def process_cpu_s(pid):
    """utime + stime of a running process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        # Fields after the command name (which may hold spaces) start at the state, field 3.
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(results, label, log, server_pid, command):
    rss_file = log + ".maxrss"
    command = ["/usr/bin/time", "-f", "%M", "-o", rss_file, "--", *command]
    server_before = process_cpu_s(server_pid) if server_pid else None
    with open(log, "wb") as out:
        started = time.perf_counter()
        pid = os.posix_spawnp(
            command[0],
            command,
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                (os.POSIX_SPAWN_DUP2, out.fileno(), 2),
            ],
        )
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    with open(rss_file) as f:
        # The last line; a command ended by a signal gets a line about it first.
        peak_kib = int(f.read().split()[-1])
    os.remove(rss_file)
    row = {
        "label": label,
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "peak_rss_mib": peak_kib / 1024,
        "exit_code": code,
    }
    if server_pid:
        row["server_cpu_s"] = process_cpu_s(server_pid) - server_before
    with open(results, "a") as f:
        f.write(json.dumps(row) + "\n")
    return code


def table(results, base, peer):
    rows = [json.loads(line) for line in open(results) if line.strip()]
    by_label = {label: [r for r in rows if r["label"] == label] for label in (base, peer)}
    for label, runs in by_label.items():
        if not runs:
            sys.exit(f"measure.py: no runs labelled {label} in {results}")
    metrics = [("wall time s", "wall_s", 2), ("CPU s (user + sys)", "cpu_s", 2),
               ("peak RSS MiB", "peak_rss_mib", 1)]
    if all("server_cpu_s" in r for r in rows):
        metrics.append(("sandbox CPU s meanwhile", "server_cpu_s", 2))
    print(f"| measure | {base} (median, min–max) | {peer} (median, min–max) | {peer} ÷ {base} |")
    print("|---|---:|---:|---:|")
    for title, key, digits in metrics:
        cells = []
        medians = []
        for label in (base, peer):
            values = [r[key] for r in by_label[label]]
            medians.append(statistics.median(values))
            cells.append(f"{medians[-1]:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})")
        ratio = f"{medians[1] / medians[0]:.1f}×" if medians[0] else "—"
        print(f"| {title} | {cells[0]} | {cells[1]} | {ratio} |")
    counts = ", ".join(f"{len(runs)} runs of {label}" for label, runs in by_label.items())
    print(f"\n{counts}.")


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) >= 4 and args[0] == "run":
        results, label, log, rest = args[1], args[2], args[3], args[4:]
        server_pid = None
        if rest[:1] == ["--server-pid"] and len(rest) > 1:
            server_pid, rest = int(rest[1]), rest[2:]
        if rest[:1] == ["--"] and len(rest) > 1:
            sys.exit(run(results, label, log, server_pid, rest[1:]))
    if len(args) == 4 and args[0] == "table":
        table(args[1], args[2], args[3])
        sys.exit(0)
    sys.exit(__doc__)
