"""Build schema/ai-agents.json: the robots.txt product tokens of AI crawlers and control tokens.

    python tools/build_ai_agents.py [ROBOTS_JSON] [--check]

ROBOTS_JSON is ai-robots-txt/ai.robots.txt's robots.json (MIT licence); by default the copy in
the shared corpus. Each agent keeps its `operator`, `function` and `respect` from there and gets
two fields curated here, as data:

- `kind`: `crawler`, or `control-token` for tokens no crawler sends (their operators check
  robots.txt with them; spec §9.5).
- `purposes`: the aiconsent purposes (spec §5) the operator uses fetched content for, from the
  agent's documented function (robots.json `function`/`description`, reference signals.md §7).
  Where the use is unclear or mixed the purpose is wide (`tdm`, or `ai-use` for an unspecified
  AI use): the list describes what a disallow keeps the agent from, so it errs wide.

--check exits 1 if schema/ai-agents.json is not what this script makes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1]
TABLE: Final = ROOT / "schema" / "ai-agents.json"
DEFAULT_SOURCE: Final = (
    ROOT.parent / "shared" / "corpus" / "robots" / "ai.robots.txt" / "robots.json"
)
SOURCE_NOTE: Final = "ai-robots-txt/ai.robots.txt robots.json at 738c80d (2026-08-22)"
KEPT_FIELDS: Final = ("operator", "function", "respect")
PURPOSES: Final = (
    "tdm",
    "ai-use",
    "ai-training",
    "genai-training",
    "non-generative-training",
    "ai-inference",
    "ai-index",
    "search",
)

# Tokens that no crawler sends: a publisher disallows them to opt out of a use (signals.md §7).
CONTROL_TOKENS: Final = frozenset({"Google-Extended", "Applebot-Extended"})

# Purposes by the knownagents.com category that robots.json gives as `function`.
BY_CATEGORY: Final[dict[str, tuple[str, ...]]] = {
    "AI Assistants": ("ai-inference",),  # fetches a page to answer a user's prompt
    "AI Agents": ("ai-inference",),  # acts in a browser on a user's request
    "AI Coding Agents": ("ai-inference",),
    "AI Search Crawlers": ("search", "ai-inference"),  # an index for answers with links
    "AI Data Providers": ("ai-index", "ai-inference"),  # retrieval data for RAG and agents
    "AI Data Scrapers": ("ai-training",),  # downloads training data
    "AI data scraper": ("ai-training",),
    "Undocumented AI Agents": ("ai-use",),  # an AI use nobody has described
}

# Agents whose documented function says more than their category (or have none).
BY_AGENT: Final[dict[str, tuple[str, ...]]] = {
    # training of generative models
    "GPTBot": ("genai-training",),
    "ClaudeBot": ("genai-training",),
    "anthropic-ai": ("genai-training",),
    "Google-Extended": ("genai-training", "ai-inference"),  # Gemini training and grounding
    "Applebot-Extended": ("genai-training",),  # Apple foundation models
    "Bytespider": ("genai-training",),
    "TikTokSpider": ("genai-training",),
    "AI2Bot": ("genai-training",),
    "Ai2Bot-Dolma": ("genai-training",),
    "DeepSeekBot": ("genai-training",),
    "PanguBot": ("genai-training",),
    "cohere-training-data-crawler": ("genai-training",),
    "Brightbot 1.0": ("genai-training",),
    "YandexAdditional": ("genai-training", "ai-inference"),
    "YandexAdditionalBot": ("genai-training", "ai-inference"),
    # training of AI models of an unstated kind
    "meta-externalagent": ("ai-training", "ai-index"),
    "Meta-ExternalAgent": ("ai-training", "ai-index"),
    "FacebookBot": ("ai-training",),
    "Cotoyogi": ("ai-training",),
    "Kangaroo Bot": ("ai-training",),
    "Factset_spyderbot": ("ai-training",),
    "FriendlyCrawler": ("ai-training",),
    "LAIONDownloader": ("ai-training",),
    "Linguee Bot": ("ai-training",),
    "Sidetrade indexer bot": ("ai-training",),
    "Timpibot": ("ai-training",),
    "ISSCyberRiskCrawler": ("non-generative-training",),  # models that score cyber risk
    # search, and answers built from it
    "Applebot": ("search", "ai-inference"),  # Siri and Spotlight answers with links
    "OAI-SearchBot": ("search", "ai-inference"),
    "PerplexityBot": ("search", "ai-inference"),
    "Claude-SearchBot": ("search", "ai-inference"),
    "meta-webindexer": ("search", "ai-inference"),
    "PetalBot": ("search", "ai-inference"),
    "Andibot": ("search", "ai-inference"),
    "Anomura": ("search", "ai-inference"),
    "YouBot": ("search", "ai-use"),  # a search engine and LLMs
    "Bravebot": ("search", "ai-index", "ai-inference"),
    "amazon-kendra": ("search", "ai-index", "ai-inference"),
    # retrieval and answers
    "Cloudflare-AutoRAG": ("ai-index", "ai-inference"),
    "atlassian-bot": ("ai-index", "ai-inference"),
    "Google-CloudVertexBot": ("ai-index", "ai-inference"),
    "cohere-ai": ("ai-inference",),
    "Google-Firebase": ("ai-inference",),
    "iaskspider/2.0": ("ai-inference",),
    "MistralAI-User/1.0": ("ai-inference",),
    "BuddyBot": ("ai-inference",),
    "SemrushBot-OCOB": ("ai-inference",),
    "wpbot": ("ai-inference",),
    "Mozilla-Tabstack": ("ai-inference",),
    # an AI use, not said which
    "OpenAI": ("ai-use",),
    "aiHitBot": ("ai-use",),
    "bedrockbot": ("ai-use",),
    "Brightbot": ("ai-use",),  # training data and RAG
    "FirecrawlAgent": ("ai-use",),
    "EchoboxBot": ("ai-use",),
    "QuillBot": ("ai-use",),
    "quillbot.com": ("ai-use",),
    "NagetBot": ("ai-use",),
    "newsai": ("ai-use",),
    # many uses, or data passed on to others: every kind of mining
    "CCBot": ("tdm",),  # an open crawl used for everything
    "Amazonbot": ("tdm",),  # Alexa answers; other uses not stated
    "GoogleOther": ("tdm",),
    "GoogleOther-Image": ("tdm",),
    "GoogleOther-Video": ("tdm",),
    "omgili": ("tdm",),  # data is sold
    "omgilibot": ("tdm",),
    "Webzio-Extended": ("tdm",),
    "webzio-extended": ("tdm",),
    "Diffbot": ("tdm",),
    "ApifyBot": ("tdm",),
    "ApifyWebsiteContentCrawler": ("tdm",),
    "CragCrawler": ("tdm",),
    "img2dataset": ("tdm",),  # image datasets for LLM training or other purposes
    "Scrapy": ("tdm",),
    "ICC-Crawler": ("tdm",),  # data passed to third parties
    "ImagesiftBot": ("tdm",),
    "facebookexternalhit": ("tdm",),
    "AgentTimes": ("tdm",),  # republishing
    "Panscient": ("tdm",),
    "panscient.com": ("tdm",),
    "VelenPublicWebCrawler": ("tdm",),
    "Poseidon Research Crawler": ("tdm",),
    "SBIntuitionsBot": ("tdm",),
    "SemrushBot-SWA": ("tdm",),
    "Thinkbot": ("tdm",),
    "YaK": ("tdm",),
    "Lightpanda": ("tdm",),  # a headless browser for AI and automation
    "MyCentralAIScraperBot": ("tdm",),  # use unclear
    # data scrapers that knownagents.com does not know to be AI-related
    "Awario": ("tdm",),
    "Datenbank Crawler": ("tdm",),
    "Echobot Bot": ("tdm",),
    "netEstate Imprint Crawler": ("tdm",),
    "WARDBot": ("tdm",),
}


def purposes_of(token: str, entry: dict[str, Any]) -> list[str]:
    """The curated purposes of one agent; an agent this script does not know fails the build."""
    chosen = BY_AGENT.get(token) or BY_CATEGORY.get(str(entry.get("function", "")))
    if chosen is None:
        raise SystemExit(f"no purposes curated for {token!r} ({entry.get('function')!r})")
    unknown = [p for p in chosen if p not in PURPOSES]
    if unknown:
        raise SystemExit(f"{token}: unknown purposes {unknown}")
    return sorted(chosen, key=PURPOSES.index)


def build(source: dict[str, dict[str, Any]]) -> dict[str, Any]:
    agents: dict[str, Any] = {}
    for token, entry in source.items():
        kept = {name: entry[name] for name in KEPT_FIELDS if name in entry}
        kind = "control-token" if token in CONTROL_TOKENS else "crawler"
        agents[token] = {**kept, "kind": kind, "purposes": purposes_of(token, entry)}
    return {
        "description": (
            "Robots.txt product tokens of AI crawlers and control tokens, from "
            "ai-robots-txt/ai.robots.txt robots.json (MIT licence). Used to warn about unknown "
            "agent tokens in rules. `kind` and `purposes` (the aiconsent purposes the "
            "operator uses fetched content for) are curated in tools/build_ai_agents.py."
        ),
        "source": SOURCE_NOTE,
        "agents": agents,
    }


def render(table: dict[str, Any]) -> str:
    return json.dumps(table, indent=1, ensure_ascii=False) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("robots_json", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    arguments = parser.parse_args()
    text = render(build(json.loads(arguments.robots_json.read_text(encoding="utf-8"))))
    if arguments.check:
        if TABLE.read_text(encoding="utf-8") != text:
            print(f"{TABLE} is out of date: run tools/build_ai_agents.py", file=sys.stderr)
            raise SystemExit(1)
        return
    TABLE.write_text(text, encoding="utf-8")
    print(f"wrote {TABLE}")


if __name__ == "__main__":
    main()
