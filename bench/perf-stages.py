#!/usr/bin/env python3
"""Where a build's CPU time goes, stage by stage, from a `perf` profile of one `bilat build`.

    perf record -F 300 --call-graph dwarf,32768 -o perf.data BILAT build --root SITE
    perf script -i perf.data -F comm,tid,ip,sym > perf.txt
    bench/perf-stages.py perf.txt CPU_SECONDS PAGES

Each sample goes to the first stage (in the order below) that any frame of its stack belongs to,
so the allocator's and the kernel's work counts for the stage that asked for it. CPU_SECONDS is
the build's user + sys time (from `/usr/bin/time`), PAGES the pages it built; the table gives the
share of the samples and the CPU milliseconds per page of each stage.
"""
import re
import sys

STAGES = [
    ("minify", r"minify_html|bilat::minify"),
    ("search index", r"bilat::search::"),
    ("render cache (fingerprints, links)", r"bilat::render_cache|render_cache::"),
    ("Markdown", r"pulldown_cmark|bilat::markdown::"),
    ("front matter (YAML)", r"serde_yaml|bilat::frontmatter|bilat::yaml"),
    ("views (template values)", r"bilat::views::"),
    ("templates (Tera)", r"tera::"),
    ("checks", r"bilat::check|bilat::site::Site::check|check_references|check_rendered"),
    ("write (output files)", r"bilat::output::|remove_tree|hard_link|sys_unlink|do_mkdirat|ext4_create"),
    ("read (sources)", r"bilat::content::load|decode_text|bilat::render::layout_sources|vfs_read"),
    ("model (index, lists)", r"bilat::site::|bilat::jobs::|bilat::registry"),
]


def stacks(path):
    cur = []
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if not line.strip():
            if cur:
                yield cur
            cur = []
        elif line.startswith((" ", "\t")):
            parts = line.strip().split(" ", 1)
            cur.append(parts[1] if len(parts) > 1 else "?")
    if cur:
        yield cur


def main():
    perf_txt, cpu, pages = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    compiled = [(name, re.compile(p)) for name, p in STAGES]
    counts = {name: 0 for name, _ in STAGES}
    counts["other"] = 0
    total = 0
    for s in stacks(perf_txt):
        total += 1
        joined = "\n".join(s)
        for name, rx in compiled:
            if rx.search(joined):
                counts[name] += 1
                break
        else:
            counts["other"] += 1
    print(f"| stage | share of samples | CPU ms per page |")
    print(f"|---|---:|---:|")
    for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        share = n / max(total, 1)
        print(f"| {name} | {100 * share:.1f} % | {1000 * cpu * share / pages:.3f} |")
    print(f"| **all** ({total} samples, {cpu:.2f} s CPU, {pages} pages) | 100 % | **{1000 * cpu / pages:.3f}** |")


if __name__ == "__main__":
    main()
