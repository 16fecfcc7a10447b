"""Writes the knowledge-base benchmark (var/bench/kb.json of bench/bench_kb.py) into docs/BENCHMARKS.md.

    python bench/kb_report.py var/bench/kb.json docs/BENCHMARKS.md [--generation TEXT] [--command TEXT]

Only the section "## Knowledge base search" is written (between ``<!-- kb -->`` and
``<!-- /kb -->``): a new run replaces it in place, the rest of the file is kept as it is,
re-read right before writing. The section goes at the end of the file the first time.
"""

import argparse
import json
import re
from datetime import datetime
from pathlib import Path

from benchlib import write_section

BEGIN, END = "<!-- kb -->", "<!-- /kb -->"
SECTION_RE = re.compile(rf"{re.escape(BEGIN)}.*?{re.escape(END)}\n?", re.S)
PLAN_WIDTH = 140  # long Sort Key and Filter lines cut

INTRO = """`scripts/bench_kb.sh` creates the database `hotline_bench_kb` with `hotline_kb` and its demo
data, generates published articles with `bench/generate_kb_articles.py` (questions and standard
answers of the fictional city 云江市: about forty topics — 停水, 水压, 燃气泄漏, 供暖, 物业费, 电梯,
井盖, 路灯, 噪音, 违章建筑 … — over the 14 top categories, filled with the city's districts, streets,
roads and estates; COPY, then one `INSERT ... SELECT` per batch that builds `search_vector` from
the texts `Segmenter.document()` cut, as `_reindex()` does), runs `VACUUM ANALYZE`, then
`bench/bench_kb.py` in an `odoo.registry` environment (every measure rolled back):

- **Search**: `hotline.kb.article.search_articles(question)` (limit 10, no category) called in
  process by an operator (`group_hotline_operator` only: record rules apply), the ORM cache
  emptied between calls as between two requests, over citizen questions drawn from templates
  (short words such as 停水, 物业费, 暖气不热, and sentences such as 我家小区停水了怎么办 with a
  greeting, a place or an afterthought), after a warm-up. Baseline in the same run: the same
  SELECT (`to_tsquery` / `ts_rank` / `ORDER BY` / `LIMIT 10`, the segmenter's tsquery text) run
  directly with `cr.execute`. Target: p95 ≤ 30 ms server time.
- **Indexing**: `_reindex()` in batches of 1,000 (as `_reindex_all()` does) on a random sample;
  the vectors it writes are compared with those the generator stored.
- **Re-indexing after a dictionary change**: a `hotline.kb.term` created with
  `hotline_kb_no_reindex`, then `_reindex_all()` timed alone."""


def ms(value):
    return f"{value:,.1f} ms"


def stats_row(label, stats):
    return (
        f"| {label} | {ms(stats['p50'])} | {ms(stats['p95'])} | {ms(stats['p99'])} | {ms(stats['max'])} "
        f"| {ms(stats['mean'])} |"
    )


def machine_line(machine):
    return (
        f"Machine: {machine.get('cpus', '?')} cores ({machine.get('cpu', '?')}), {machine.get('memory', '?')} RAM, "
        f"{machine.get('os', '?')}, Python {machine.get('python', '?')}, PostgreSQL {machine.get('postgresql', '?')} "
        f"on the same machine; 1-minute load average {machine.get('load', '?').split()[0]} before the benchmark, "
        f"{machine.get('load_after', '?').split()[0]} after. The machine is shared with other work: numbers vary "
        "by ±20 %."
    )


def data_lines(results, generation):
    counts = results["counts"]
    lines = [
        f"Data: {counts['articles']:,} articles ({counts['current']:,} published and in force) in "
        f"{counts['categories']} top categories, {counts['terms']} dictionary terms, {counts['keywords']} keywords.",
    ]
    if generation:
        lines += ["", f"Generation: {generation}"]
    return lines


def search_lines(results):
    search = results["search"]
    orm, raw = search["orm"], search["raw"]
    target = results["target_p95_ms"]
    kinds = search["orm_by_kind"]
    breakdown = search["orm_breakdown"]
    verdict = "met" if orm["p95"] <= target else "missed"
    lines = [
        f"### Search: {search['questions']:,} questions ({search['short_questions']} short, "
        f"{search['questions'] - search['short_questions']} sentences) after {search['warmup']} warm-up questions",
        "",
        "Each question goes through `search_articles()` (which ranks only candidates: the word lists of the",
        "question's frequent words, every article of its other words, and the articles changed since the",
        "lists were built; see below) and the raw SELECT that ranks every article matching any word (exact,",
        "what `search_articles()` ran first), in turn (the order turning from one question to the next).",
        "",
        "| server time per question | p50 | p95 | p99 | max | mean |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        stats_row("`search_articles()` as an operator (in process)", orm),
        stats_row("raw SQL selecting on every word, with `cr.execute`", raw),
        f"| ratio search_articles / that raw SQL | {orm['p50'] / raw['p50']:.2f} | {orm['p95'] / raw['p95']:.2f} "
        f"| {orm['p99'] / raw['p99']:.2f} | {orm['max'] / raw['max']:.2f} | {orm['mean'] / raw['mean']:.2f} |",
        stats_row("segmenter alone (`query_words` + `tsquery`)", search["segmenter"]),
        "",
        f"**p95 {ms(orm['p95'])} against the target of {target:g} ms: {orm['p95'] / target:.2f} × the target, "
        f"{verdict}.** {search['over_target']:,} of {search['questions']:,} questions took more than {target:g} ms. "
        f"1-minute load average {search['load']['min']:g}–{search['load']['max']:g} on the 2 cores during these "
        "questions.",
        "",
    ]
    for kind, stats in kinds.items():
        lines.append(f"- {kind} questions ({stats['count']}): p50 {ms(stats['p50'])}, p95 {ms(stats['p95'])}.")
    matches = search["matches"]
    lines += [
        f"- Articles matched per question (the rows the raw SELECT ranks): p50 {matches['p50']:,}, p95 "
        f"{matches['p95']:,}, max {matches['max']:,}; the questions over {target:g} ms match "
        f"{matches['over_target_p50'] or 0:,} articles at the median, the largest match within the target was "
        f"{matches['within_target_max'] or 0:,}.",
        f"- Inside `search_articles()` (first 100 questions, SQL timed at the cursor): "
        f"{breakdown['statements']:.1f} SQL statements per call, {ms(breakdown['sql_ms'])} in SQL, "
        f"{ms(breakdown['python_ms'])} in Python (segmenting, record rules, reading the 10 articles, snippets).",
        f"- Against the exact ranking of the raw SELECT: the same 10 ids in the same order for "
        f"{search['same_ids']:,} of {search['questions']:,} questions, the same first answer for "
        f"{search['same_first']:,}, {search['overlap']:.1%} of the top 10 in common on average.",
        "",
    ]
    return lines


def index_lines(results):
    index, reindex = results["index"], results["reindex_all"]
    identical = "yes" if index["differing"] == 0 else f"**no: {index['differing']:,} differ**"
    if reindex["extrapolated"]:
        how = (
            f"{reindex['seconds']:,.1f} s measured on {reindex['measured_on']:,} articles (the indexing rate "
            f"projected more than the limit for all of them), **extrapolated**: {reindex['seconds_all']:,.0f} s "
            f"for {reindex['articles']:,}"
        )
    else:
        how = f"{reindex['seconds']:,.1f} s for {reindex['measured_on']:,} articles"
    return [
        "### Indexing",
        "",
        "| measure | result |",
        "| --- | --- |",
        f"| `_reindex()` in batches of 1,000 on {index['articles']:,} random articles | "
        f"{index['rate']:,.0f} articles/s ({index['seconds']:,.1f} s); vectors identical to the generator's: "
        f"{identical} |",
        f"| `_reindex_all()` after a dictionary change (new term {reindex['term']['name']}, synonyms "
        f"{reindex['term']['synonyms']}) | {how} "
        f"({reindex['measured_on'] / reindex['seconds']:,.0f} articles/s) |",
        "",
    ]


def sample_lines(results):
    lines = [
        "### Sample questions",
        "",
        "| question | tsquery | top 3 results (score, category) |",
        "| --- | --- | --- |",
    ]
    for sample in results["search"]["samples"]:
        found = "<br>".join(
            f"{index}. {result['name']} ({result['score']:.4f}, {result['category']})"
            for index, result in enumerate(sample["results"], 1)
        )
        tsquery = sample["tsquery"].replace("|", "\\|")
        lines.append(f"| {sample['query']} | `{tsquery}` | {found} |")
    lines.append("")
    return lines


def word_list_lines(search):
    lists = search["word_lists"]
    return [
        "What `search_articles()` does about it: every word found in more than 500 articles in force keeps",
        "a list of its 200 best articles by the word's own rank (`hotline_kb_word_list`, one set-based",
        "`INSERT ... SELECT` over `ts_stat()`, rebuilt by the nightly cron and after `_reindex_all()`). A",
        "question ranks the union of its frequent words' lists, every article of its rarer words (500 at",
        "most each) and the articles changed since the lists were built, with the full weighted `ts_rank`;",
        "fewer than 10 answers among them (record rules, stale lists) and it ranks every match as before.",
        f"Building the lists here: {lists['words']:,} words, {lists['rows']:,} rows, {lists['seconds']:,.1f} s.",
        "",
    ]


def diagnosis_lines(results):
    search = results["search"]
    slowest = search["slowest"]
    plan = [line if len(line) <= PLAN_WIDTH else line[: PLAN_WIDTH - 1] + "…" for line in slowest["plan"]]
    per_row = (slowest["explain_ms"] or slowest["raw_ms"]) * 1000 / max(slowest["matches"], 1)
    return [
        "### Why: the plan of the slowest question",
        "",
        f"The slowest question, “{slowest['query']}”, became `{slowest['tsquery']}` and matched "
        f"{slowest['matches']:,} articles ({ms(slowest['orm_ms'])} through `search_articles()`, "
        f"{ms(slowest['raw_ms'])} raw in the timed loop). `EXPLAIN (ANALYZE, BUFFERS)` of the SELECT "
        f"`search_articles()` ran (captured at the cursor, {slowest['statements']} statements in the call; "
        f"about {per_row:.1f} µs per matched article):",
        "",
        "```",
        *plan,
        "```",
        "",
        "Without the word lists, the tsquery ORs every word of the question, so a sentence matches every",
        "article that shares one",
        "common word with it (小区, 街道, 物业公司, a district's name, one-character words such as 里 or 大)",
        "and `ts_rank` is computed for each of them before the top-10 sort: the GIN index selects, it",
        "cannot order, and with a third of the table matching the planner reads it all. The time grows",
        "with the matched rows, not with the 10 returned; `search_articles()` adds little to the SQL.",
        "",
        *word_list_lines(search),
    ]


def section(results, generation, command):
    when = datetime.fromisoformat(results["written_at"]).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        BEGIN,
        "## Knowledge base search",
        "",
        f"Run {when} with `{command}` (raw results in var/bench/kb.json).",
        "",
        INTRO,
        "",
        machine_line(results["machine"]),
        "",
        *data_lines(results, generation),
        "",
        *search_lines(results),
        *index_lines(results),
        *sample_lines(results),
    ]
    if results["search"]["orm"]["p95"] > results["target_p95_ms"]:
        lines += diagnosis_lines(results)
    lines.append(END)
    return "\n".join(lines) + "\n"


def previous_generation(text):
    match = SECTION_RE.search(text)
    earlier = match and re.search(r"^Generation: (.*?)(?: \(database reused\))?$", match[0], re.M)
    return earlier[1] if earlier and not earlier[1].startswith("(reused") else None


def write(markdown, results, generation, command):
    path = Path(markdown)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if generation.startswith("(reused") and previous_generation(text):
        generation = f"{previous_generation(text)} (database reused)"
    new = section(results, generation, command)
    write_section(path, SECTION_RE, new)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results")
    parser.add_argument("markdown")
    parser.add_argument("--generation", default="")
    parser.add_argument("--command", default="scripts/bench_kb.sh")
    args = parser.parse_args()
    results = json.loads(Path(args.results).read_text(encoding="utf-8"))
    write(args.markdown, results, args.generation, args.command)
    print(f"## Knowledge base search written to {args.markdown}")


if __name__ == "__main__":
    main()
