"""Signal readers (issue 4): robots.txt files and Content-Usage header values read per second
on one core, and robots.txt parsing compared with protego on the same inputs.

    python benchmarks/bench_formats_robots.py [--documents 20000] [--runs 3]

The robots.txt inputs are a seeded mix shaped like the corpus (shared/corpus/robots and the
aipref examples, which are included as they are when present): bare `*` groups, AI block lists
in one group (ai.robots.txt) or one group per agent (healsdata), Cloudflare's managed file with
its Content-Signal line, CMS-style path rules with wildcards, and news sites with long `*`
groups plus a dozen AI groups; a fifth carry Content-Usage lines. Header values are the aipref
values seen in the drafts and in deployments, including legacy labels and broken ones.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parent / "shared" / "corpus"
SITE = "https://www.example.com"

AI_AGENTS = [
    "GPTBot",
    "ChatGPT-User",
    "OAI-SearchBot",
    "CCBot",
    "ClaudeBot",
    "anthropic-ai",
    "Claude-Web",
    "Google-Extended",
    "Applebot-Extended",
    "Bytespider",
    "PerplexityBot",
    "meta-externalagent",
    "FacebookBot",
    "cohere-ai",
    "Diffbot",
    "omgili",
    "Amazonbot",
    "YouBot",
    "img2dataset",
    "Timpibot",
    "AI2Bot",
    "DeepSeekBot",
    "PanguBot",
    "TikTokSpider",
]
PATHS = [
    "/wp-admin/",
    "/wp-login.php",
    "/search",
    "/cart",
    "/checkout",
    "/account/",
    "/api/",
    "/*?replytocom=",
    "/*.pdf$",
    "/tag/*/feed",
    "/cdn-cgi/",
    "/private/",
    "/admin",
    "/login",
    "/*?s=*",
    "/print/",
    "/embed/",
    "/static/",
    "/user/*/edit",
    "/_next/data/",
]
USAGE = [
    "train-ai=n",
    "train-ai=n, search=y",
    "train-ai=y, search=y",
    "/blog/ train-ai=y",
    "train-genai=n;exceptions=cc-cr",
    "ai=n",
]
HEADER_VALUES = [
    "train-ai=n",
    "train-ai=n",
    "train-ai=n, search=y",
    "train-ai=y, search=y",
    "train-ai=y, search=n",
    "search=y",
    "train-genai=n;exceptions=cc-cr",
    "bots=y, train-ai=n",
    "ai=n",
    "train-ai=n, ai-use=n",
    'train-ai="n"',
    "Train-AI=n",
]


def corpus_files() -> list[bytes]:
    folders = [ROOT / "tests" / "formats" / "data" / "robots", CORPUS / "robots"]
    names = sorted(
        path
        for folder in folders
        if folder.exists()
        for path in folder.rglob("*.txt")
        if path.is_file() and "headers" not in path.name
    )
    names += sorted((ROOT / "tests" / "formats" / "data" / "aipref").glob("*robots*.txt"))
    return [path.read_bytes() for path in names]


def generated(rng: random.Random) -> bytes:
    kind = rng.choices(["bare", "blocklist", "cloudflare", "cms", "news"], [30, 20, 15, 25, 10])[0]
    lines: list[str] = []
    if kind == "bare":
        lines += ["User-agent: *", rng.choice(["Disallow:", "Allow: /", "Disallow: /admin"])]
    elif kind == "blocklist":
        agents = rng.sample(AI_AGENTS, rng.randint(5, len(AI_AGENTS)))
        if rng.random() < 0.5:
            lines += [f"User-agent: {a}" for a in agents] + ["Disallow: /"]
        else:
            for agent in agents:
                lines += [f"User-agent: {agent}", "Disallow: /", ""]
        lines += ["", "User-agent: *", "Allow: /"]
    elif kind == "cloudflare":
        lines += [
            "# As a condition of accessing this website, you agree to abide by the",
            "# following content signals: ...",
            "",
            "User-Agent: *",
            "Content-signal: search=yes, ai-train=no",
            "Allow: /",
            "",
        ]
        for agent in AI_AGENTS[:8]:
            lines += [f"User-agent: {agent}", "Disallow: /", ""]
        lines += ["User-agent: *"] + [f"Disallow: {p}" for p in rng.sample(PATHS, 3)]
    elif kind == "cms":
        lines += ["# robots.txt", "User-agent: *"]
        lines += [f"Disallow: {p}" for p in rng.sample(PATHS, rng.randint(3, 15))]
        lines += ["Allow: /wp-admin/admin-ajax.php"]
    else:
        lines += ["# news site", "User-agent: *", "User-agent: Googlebot"]
        lines += [
            f"Disallow: {p}{rng.randint(0, 999)}" for p in rng.choices(PATHS, k=rng.randint(30, 90))
        ]
        for agent in rng.sample(AI_AGENTS, rng.randint(8, 16)):
            lines += ["", f"User-agent: {agent}", "Disallow: /"]
    if rng.random() < 0.2:
        at = lines.index("User-agent: *") + 1 if "User-agent: *" in lines else len(lines)
        lines[at:at] = [f"Content-Usage: {u}" for u in rng.sample(USAGE, rng.randint(1, 2))]
    lines.append(f"Sitemap: {SITE}/sitemap.xml")
    return ("\n".join(lines) + "\n").encode()


def rate(function: Callable[[Any], object], inputs: Sequence[Any], runs: int) -> float:
    """Best of several runs, in inputs per second."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for item in inputs:
            function(item)
        best = min(best, time.perf_counter() - start)
    return len(inputs) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    from protego import Protego

    from aiconsent.formats.aipref import read_content_usage_header
    from aiconsent.formats.common import Origin
    from aiconsent.formats.robots import parse_robots, read_robots

    rng = random.Random(4)
    real = corpus_files()
    documents = [
        rng.choice(real) if real and rng.random() < 0.1 else generated(rng)
        for _ in range(arguments.documents)
    ]
    texts = [d.decode("utf-8", "replace") for d in documents]
    sizes = sorted(len(d) for d in documents)
    origin = Origin.for_bytes(b"", "robots.txt", url=f"{SITE}/robots.txt")
    item = f"{SITE}/2024/06/01/world/story.html"
    values = [rng.choice(HEADER_VALUES) for _ in range(arguments.documents)]
    # every value different, so that none is parsed from the cache
    distinct = [f"{rng.choice(HEADER_VALUES[:6])}, x{n}=?1" for n in range(arguments.documents)]
    page = Origin.for_bytes(b"", "response", url=item)

    figures = {
        "robots_parse": rate(parse_robots, documents, arguments.runs),
        "protego_parse": rate(Protego.parse, texts, arguments.runs),
        "robots_read_file": rate(lambda d: read_robots(d, origin), documents, arguments.runs),
        "robots_read_corpus_only": rate(
            lambda d: read_robots(d, origin),
            real * max(1, 2000 // max(1, len(real))),
            arguments.runs,
        )
        if real
        else float("nan"),
        "robots_read_item": rate(
            lambda d: read_robots(d, origin, item=item, agent="GPTBot"), documents, arguments.runs
        ),
        "protego_parse_can_fetch": rate(
            lambda t: Protego.parse(t).can_fetch(item, "GPTBot"), texts, arguments.runs
        ),
        "content_usage_read": rate(
            lambda v: read_content_usage_header(v, page), values, arguments.runs
        ),
        "content_usage_read_distinct": rate(
            lambda v: read_content_usage_header(v, page), distinct, 1
        ),
    }
    # one robots.txt per site, a Content-Usage field on each of ten pages fetched from it
    per_site = 1 / figures["robots_read_item"] + 10 / figures["content_usage_read"]
    figures["crawl_mix_documents"] = 11 / per_site

    rows = [
        ("robots.txt parse (RFC 9309 groups, rules, preference lines)", "robots_parse"),
        ("protego 0.x Protego.parse, same inputs (peer)", "protego_parse"),
        ("read_robots, whole file -> declarations", "robots_read_file"),
        (
            "read_robots, whole file, the corpus files alone (2-6 KB news sites)",
            "robots_read_corpus_only",
        ),
        ("read_robots for one item and agent -> declarations", "robots_read_item"),
        ("protego parse + can_fetch(item, GPTBot) (peer)", "protego_parse_can_fetch"),
        ("Content-Usage header value -> declarations", "content_usage_read"),
        (
            "Content-Usage header value, every one different (no cache hits)",
            "content_usage_read_distinct",
        ),
        ("crawl mix: 1 robots.txt (item read) + 10 Content-Usage fields", "crawl_mix_documents"),
    ]
    print(
        f"{len(documents)} robots.txt files: median {statistics.median(sizes)} B, "
        f"mean {statistics.mean(sizes):.0f} B, max {sizes[-1]} B; {len(real)} corpus files in"
    )
    print(f"{'measure':66} {'result':>14}")
    for label, key in rows:
        print(f"{label:66} {figures[key]:>10,.0f} /s")
    ratios = {
        "parse_vs_protego": figures["robots_parse"] / figures["protego_parse"],
        "item_read_vs_protego_can_fetch": figures["robots_read_item"]
        / figures["protego_parse_can_fetch"],
    }
    print("ratios:", json.dumps({k: round(v, 2) for k, v in ratios.items()}))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "formats_robots.json").write_text(
        json.dumps(
            {
                "documents": len(documents),
                "median_bytes": statistics.median(sizes),
                "mean_bytes": statistics.mean(sizes),
                **figures,
                **ratios,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
