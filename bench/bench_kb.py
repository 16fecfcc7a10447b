"""Benchmark of the knowledge base's search on a database filled by bench/generate_kb_articles.py.

    python bench/bench_kb.py [--queries 1000] [--warmup 50] [--seed 12319] [--index-sample 5000] \
        [--reindex-limit 600] [--json FILE] -- <odoo-bin options> -d DB

Measures, in an odoo.registry environment (nothing is kept: every measure is rolled back):

1. search: ``hotline.kb.article.search_articles(query)`` (limit 10, no category) called in
   process as an operator (``hotline_base.group_hotline_operator`` only, record rules apply)
   for ``--queries`` citizen questions (short words and sentences, drawn from templates), after
   ``--warmup`` other questions; server time per call, the ORM cache emptied between calls as
   between two requests. Baseline in the same run: the same SELECT (``to_tsquery`` /
   ``ts_rank`` / ``ORDER BY`` / ``LIMIT 10`` with the tsquery text of the segmenter) run
   directly with ``cr.execute``; and two variants of that SELECT that select (``@@``) on the
   question's uncommon words only, all of them or the 4 rarest, and rank on all (a proposed
   change, see docs/BENCHMARKS.md). Each question goes through the four in turn, the order
   turning from one question to the next, so the shared machine's load weighs on all alike.
   Also: how many articles each question matches, where search_articles spends its time, the
   SQL it runs (captured at the cursor) and its ``EXPLAIN ANALYZE`` for the slowest question;
2. indexing: ``_reindex()`` in batches of 1,000 (as ``_reindex_all()`` does) on
   ``--index-sample`` articles: articles per second; the vectors must come out as the generator
   stored them;
3. re-indexing after a dictionary change: a term created with ``hotline_kb_no_reindex``, then
   ``_reindex_all()`` timed alone. When the indexing rate of 2. says it would take more than
   ``--reindex-limit`` seconds, it runs on 20,000 articles (the others deleted in the rolled-back
   transaction) and the time is extrapolated.
"""

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import Timer, machine_facts, odoo_env, split_argv  # noqa: E402
from generate_kb_articles import DISTRICTS, ESTATES, ROADS, STREETS  # noqa: E402

TARGET_P95_MS = 30.0
SAMPLE_QUERIES = ["我家小区停水了怎么办", "楼道里有煤气味", "物业乱收费怎么投诉"]
EXTRAPOLATE_ON = 20_000


# ------------------------------------------------------------
# citizens' questions


# ------------------------------------------------------------

SENTENCES = [
    "我家小区停水了怎么办", "{estate}停水了什么时候来水", "停水一天了还没来水", "突然停水了找谁", "家里水压太低了",
    "楼上水压不够洗澡都难", "自来水发黄能喝吗", "水管爆了在往外冒水", "水费怎么突然这么高", "水表坏了谁来换",
    "楼道里有煤气味", "家里闻到煤气味怎么办", "燃气表不走了", "天然气充值了还是没气", "新房子怎么开通天然气",
    "暖气不热找谁", "暖气片不热怎么回事", "家里室温只有十几度", "什么时候开始供暖", "不用暖气可以不交供暖费吗",
    "暖气漏水了", "突然停电了", "电线杆歪了很危险", "楼道里有人飞线充电", "门口井盖丢了", "井盖坏了差点摔倒",
    "路灯不亮了", "{road}的路灯晚上不亮", "马路被挖开好久没填", "路上有个大坑", "下水道堵了污水冒出来",
    "下雨积水排不出去", "物业乱收费怎么投诉", "物业费太贵了", "物业不作为怎么办", "电梯又坏了", "被关在电梯里了",
    "老小区想装电梯", "维修基金怎么用", "楼上漏水到我家", "新房墙裂了", "外墙瓷砖掉下来了", "邻居在楼顶搭违建",
    "小区门口有人摆摊", "工地半夜还在施工", "楼上装修太吵了", "广场舞声音太大", "楼下饭店油烟太大", "河里很臭",
    "垃圾好几天没人收", "垃圾分类怎么分", "公厕太脏了", "树枝挡住窗户了", "大树倒了压到车", "绿地被人种菜",
    "房东不退押金", "公租房怎么申请", "房产证一直办不下来", "新盖的楼挡住阳光", "我反映的问题怎么还没处理",
    "工单多久能办完",
]  # fmt: skip
SHORT = [
    "停水", "水压", "爆管", "水质", "水表", "煤气", "漏气", "燃气表", "暖气", "供暖", "暖气不热", "停电", "井盖",
    "路灯", "挖路", "下水道", "物业费", "物业", "电梯", "电梯困人", "维修基金", "业委会", "漏水", "违建", "摆摊",
    "噪音", "施工噪音", "油烟", "垃圾", "公厕", "行道树", "修剪", "公租房", "房产证", "押金", "采光", "进度", "危房",
]  # fmt: skip
PREFIXES = ["", "", "", "", "你好，", "请问", "{district}", "{estate}", "我是{street}的，", "{street}{estate}"]
SUFFIXES = ["", "", "", "？", "，怎么办", "，找谁", "，能不能尽快处理", "，打了好几次电话了", "，请帮忙看看"]
SHORT_SHARE = 0.35


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=1000, help="timed questions")
    parser.add_argument("--warmup", type=int, default=50, help="questions asked before timing")
    parser.add_argument("--seed", type=int, default=12319)
    parser.add_argument("--index-sample", type=int, default=5000, help="articles re-indexed to measure the rate")
    parser.add_argument("--reindex-limit", type=float, default=600, help="longest _reindex_all() run on all articles")
    parser.add_argument("--json", help="write the results to this JSON file")
    return parser.parse_args(argv)


def citizen_question(rng):
    """A short word (2-4 characters) or a sentence with a greeting, a place or an afterthought."""
    if rng.random() < SHORT_SHARE:
        return rng.choice(SHORT)
    place = {
        "district": rng.choice(DISTRICTS),
        "street": rng.choice(STREETS),
        "road": rng.choice(ROADS),
        "estate": rng.choice(ESTATES),
    }
    text = rng.choice(PREFIXES) + rng.choice(SENTENCES) + rng.choice(SUFFIXES)
    return text.format(**place)


def citizen_questions(segmenter, count, seed):
    """``count`` questions that have at least one word to search."""
    rng = random.Random(seed)
    questions = []
    while len(questions) < count:
        question = citizen_question(rng)
        if segmenter.query_words(question):
            questions.append(question)
    return questions


# ------------------------------------------------------------
# helpers


# ------------------------------------------------------------


def percentile(values, share):
    """Nearest-rank percentile of ``values`` (``share`` in 0..1)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(milliseconds):
    return {
        "count": len(milliseconds),
        "mean": statistics.fmean(milliseconds),
        "p50": percentile(milliseconds, 0.50),
        "p95": percentile(milliseconds, 0.95),
        "p99": percentile(milliseconds, 0.99),
        "max": max(milliseconds),
    }


def bench_operator(env):
    """An operator of the whole city (no editor rights, record rules apply), created if missing."""
    Users = env["res.users"].with_context(no_reset_password=True)
    user = Users.search([("login", "=", "bench_kb_operator")], limit=1)
    if not user:
        user = Users.create(
            {
                "name": "bench_kb_operator",
                "login": "bench_kb_operator",
                "tz": "Asia/Shanghai",
                "groups_id": [(6, 0, [env.ref("hotline_base.group_hotline_operator").id])],
            }
        )
    return user


class SqlSpy:
    """Records the SQL a cursor runs (text with its parameters) and the time it takes."""

    def __init__(self, cr):
        self.cr = cr
        self.statements = []

    def __enter__(self):
        from odoo.tools import SQL  # noqa: PLC0415

        execute = self.original = self.cr.execute

        def spy(query, params=None, log_exceptions=True):
            if isinstance(query, SQL):
                query, params = query.code, query.params
            start = time.perf_counter()
            result = execute(query, params, log_exceptions)
            self.statements.append((self.cr._obj.mogrify(query, params).decode(), time.perf_counter() - start))
            return result

        self.cr.execute = spy
        return self

    def __exit__(self, *exc):
        del self.cr.execute  # back to the class's method
        return False


# ------------------------------------------------------------
# 1. search


# ------------------------------------------------------------


def raw_sql(tsquery, match=None):
    """The SELECT search_articles runs, written by hand; ``match``: the tsquery that selects (default: the same)."""
    from odoo.addons.hotline_kb.models.hotline_kb_article import RANK_WEIGHTS  # noqa: PLC0415

    return (
        """
        SELECT id, ts_rank(%s::float4[], search_vector, to_tsquery('simple', %s), 1) AS score
          FROM hotline_kb_article
         WHERE active AND is_current AND search_vector @@ to_tsquery('simple', %s)
         ORDER BY score DESC, id DESC
         LIMIT 10
        """,
        [RANK_WEIGHTS, tsquery, match or tsquery],
    )


def load_average():
    with open("/proc/loadavg", encoding="utf-8") as loadavg:
        return float(loadavg.read().split()[0])


def orm_measure(env, operator, questions):
    Article = env(user=operator.id)["hotline.kb.article"]

    def measure(index):
        env.invalidate_all()  # a new request reads the articles again
        start = time.perf_counter()
        found = Article.search_articles(questions[index])
        return (time.perf_counter() - start) * 1000, [article["id"] for article in found]

    return measure


def raw_measure(cr, tsqueries, matches=None):
    def measure(index):
        query, params = raw_sql(tsqueries[index], matches[index] if matches else None)
        start = time.perf_counter()
        cr.execute(query, params)
        rows = cr.fetchall()
        return (time.perf_counter() - start) * 1000, [row[0] for row in rows]

    return measure


def time_interleaved(measures, count, warmup, loads):
    """Every question through every measure, in an order that turns from one question to the next,
    so that the load of the shared machine weighs on all of them alike; the first ``warmup`` untimed."""
    names = list(measures)
    timings = {name: [] for name in names}
    results = {name: [] for name in names}
    for index in range(count):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            ms, ids = measures[name](index)
            if index >= warmup:
                timings[name].append(ms)
                results[name].append(ids)
        if index % 100 == 0:
            loads.append(load_average())
    return timings, results


def time_segmenter(segmenter, questions):
    timings = []
    for question in questions:
        start = time.perf_counter()
        segmenter.query_words(question)
        segmenter.tsquery(question)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def matched_counts(cr, tsqueries):
    counts = []
    for tsquery in tsqueries:
        cr.execute(
            """SELECT count(*) FROM hotline_kb_article
                WHERE active AND is_current AND search_vector @@ to_tsquery('simple', %s)""",
            [tsquery],
        )
        counts.append(cr.fetchone()[0])
    return counts


def explain(cr, statement):
    cr.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}")
    return [row[0] for row in cr.fetchall()]


def captured_search_sql(env, operator, question):
    """The ranked SELECT search_articles runs for ``question``, with its parameters."""
    Article = env(user=operator.id)["hotline.kb.article"]
    env.invalidate_all()
    with SqlSpy(env.cr) as spy:
        Article.search_articles(question)
    ranked = [statement for statement, _seconds in spy.statements if "ts_rank" in statement]
    return ranked[0] if ranked else None, len(spy.statements)


def orm_breakdown(env, operator, questions):
    """Where search_articles spends its time: SQL statements per call, time in SQL, the rest (Python)."""
    Article = env(user=operator.id)["hotline.kb.article"]
    totals, sql, statements = [], [], []
    for question in questions:
        env.invalidate_all()
        with SqlSpy(env.cr) as spy:
            start = time.perf_counter()
            Article.search_articles(question)
            totals.append((time.perf_counter() - start) * 1000)
        sql.append(sum(seconds for _statement, seconds in spy.statements) * 1000)
        statements.append(len(spy.statements))
    return {
        "questions": len(questions),
        "statements": statistics.fmean(statements),
        "sql_ms": statistics.fmean(sql),
        "python_ms": statistics.fmean(total - in_sql for total, in_sql in zip(totals, sql, strict=True)),
    }


def sample_results(env, operator, segmenter):
    Article = env(user=operator.id)["hotline.kb.article"]
    samples = []
    for question in SAMPLE_QUERIES:
        found = Article.search_articles(question)
        samples.append(
            {
                "query": question,
                "tsquery": segmenter.tsquery(question),
                "results": [
                    {"name": article["name"], "score": article["score"], "category": article["category"]}
                    for article in found[:3]
                ],
            }
        )
    return samples


def by_kind(questions, timings):
    kinds = {"short (2-4 characters)": [], "sentence": []}
    for question, ms in zip(questions, timings, strict=True):
        kinds["short (2-4 characters)" if len(question) <= 4 else "sentence"].append(ms)
    return {kind: summary(values) for kind, values in kinds.items() if values}


def slowest_result(env, operator, questions, tsqueries, timings, counts):
    cr = env.cr
    index = max(range(len(questions)), key=timings["orm"].__getitem__)
    statement, statements = captured_search_sql(env, operator, questions[index])
    plan = explain(cr, statement) if statement else []
    executions = [float(line.split()[2]) for line in plan if line.startswith("Execution Time")]
    return {
        "query": questions[index],
        "tsquery": tsqueries[index],
        "orm_ms": timings["orm"][index],
        "raw_ms": timings["raw"][index],
        "matches": counts[index],
        "statements": statements,
        "sql": statement,
        "plan": plan,
        "explain_ms": executions[0] if executions else None,
    }


def bench_search(env, args):
    cr = env.cr
    operator = bench_operator(env)
    segmenter = env["hotline.kb.term"]._segmenter()
    everything = citizen_questions(segmenter, args.warmup + args.queries, args.seed)
    questions = everything[args.warmup :]
    all_tsqueries = [segmenter.tsquery(question) for question in everything]
    Article = env["hotline.kb.article"]
    with Timer() as build:
        listed = Article._build_word_lists()
    cr.execute("SELECT count(*) FROM hotline_kb_word_list")
    list_rows = cr.fetchone()[0]
    measures = {
        "orm": orm_measure(env, operator, everything),
        "raw": raw_measure(cr, all_tsqueries),
    }
    loads = [load_average()]
    timings, ids = time_interleaved(measures, len(everything), args.warmup, loads)
    loads.append(load_average())
    tsqueries = all_tsqueries[args.warmup :]
    counts = matched_counts(cr, tsqueries)
    slow = {index for index, ms in enumerate(timings["orm"]) if ms > TARGET_P95_MS}
    pairs = list(zip(ids["orm"], ids["raw"], strict=True))
    return {
        "questions": len(questions),
        "warmup": args.warmup,
        "short_questions": sum(len(question) <= 4 for question in questions),
        "load": {"min": min(loads), "max": max(loads)},
        "orm": summary(timings["orm"]),
        "raw": summary(timings["raw"]),
        "segmenter": summary(time_segmenter(segmenter, questions)),
        "orm_by_kind": by_kind(questions, timings["orm"]),
        "orm_breakdown": orm_breakdown(env, operator, questions[:100]),
        "same_ids": sum(a == b for a, b in pairs),
        "same_first": sum(a[:1] == b[:1] for a, b in pairs),
        "overlap": statistics.fmean(len(set(a) & set(b)) / max(len(b), 1) for a, b in pairs),
        "word_lists": {"words": listed, "rows": list_rows, "seconds": build.seconds},
        "matches": {
            "p50": percentile(counts, 0.5),
            "p95": percentile(counts, 0.95),
            "max": max(counts),
            "over_target_p50": percentile([counts[i] for i in slow], 0.5) if slow else None,
            "within_target_max": max((count for i, count in enumerate(counts) if i not in slow), default=None),
        },
        "over_target": len(slow),
        "slowest": slowest_result(env, operator, questions, tsqueries, timings, counts),
        "samples": sample_results(env, operator, segmenter),
    }


# ------------------------------------------------------------
# 2. indexing rate


# ------------------------------------------------------------


def bench_index_rate(env, sample, seed, batch_size=1000):
    """_reindex() on ``sample`` articles in batches; the vectors compared with the stored ones."""
    cr = env.cr
    cr.execute("SELECT id FROM hotline_kb_article ORDER BY id")
    ids = [row[0] for row in cr.fetchall()]
    ids = sorted(random.Random(seed).sample(ids, min(sample, len(ids))))
    cr.execute(
        """CREATE TEMPORARY TABLE bench_kb_vectors AS
           SELECT id, search_vector FROM hotline_kb_article WHERE id = ANY(%s)""",
        [ids],
    )
    Article = env["hotline.kb.article"]
    env.invalidate_all()
    with Timer() as timer:
        for start in range(0, len(ids), batch_size):
            batch = Article.browse(ids[start : start + batch_size])
            batch._reindex()
            batch.invalidate_recordset()
    cr.execute(
        """SELECT count(*) FROM hotline_kb_article a JOIN bench_kb_vectors v USING (id)
            WHERE a.search_vector IS DISTINCT FROM v.search_vector"""
    )
    differing = cr.fetchone()[0]
    return {"articles": len(ids), "seconds": timer.seconds, "rate": len(ids) / timer.seconds, "differing": differing}


# ------------------------------------------------------------
# 3. re-indexing after a dictionary change


# ------------------------------------------------------------


def keep_only(env, count, seed):
    """Deletes all articles but ``count`` (in the transaction the caller rolls back)."""
    cr = env.cr
    cr.execute("SELECT id FROM hotline_kb_article ORDER BY id")
    ids = [row[0] for row in cr.fetchall()]
    keep = set(random.Random(seed).sample(ids, min(count, len(ids))))
    cr.execute("DELETE FROM hotline_kb_article WHERE NOT (id = ANY(%s))", [sorted(keep)])
    env.invalidate_all()


def bench_reindex_all(env, rate, limit, seed):
    Article = env["hotline.kb.article"].with_context(active_test=False)
    total = Article.search_count([])
    projected = total / rate
    measured_on = total
    if projected > limit:
        keep_only(env, EXTRAPOLATE_ON, seed)
        measured_on = Article.search_count([])
    term = {"name": "临时送水点", "synonyms": "送水点,送水车"}
    env["hotline.kb.term"].with_context(hotline_kb_no_reindex=True).create(term)
    with Timer() as timer:
        indexed = env["hotline.kb.article"]._reindex_all()
    return {
        "articles": total,
        "measured_on": indexed,
        "seconds": timer.seconds,
        "projected_from_rate": projected,
        "extrapolated": measured_on < total,
        "seconds_all": timer.seconds * total / indexed,
        "term": term,
    }


def main(argv):
    script_args, odoo_args = split_argv(argv)
    args = parse_args(script_args)
    with odoo_env(odoo_args) as env:
        cr = env.cr
        machine = machine_facts(cr)
        cr.execute("SELECT count(*), count(*) FILTER (WHERE is_current AND active) FROM hotline_kb_article")
        articles, current = cr.fetchone()
        counts = {
            "articles": articles,
            "current": current,
            "categories": env["hotline.category"].search_count([("parent_id", "=", False)]),
            "terms": env["hotline.kb.term"].search_count([]),
            "keywords": env["hotline.kb.tag"].search_count([]),
        }
        search = bench_search(env, args)
        cr.rollback()
        index = bench_index_rate(env, args.index_sample, args.seed)
        cr.rollback()
        reindex = bench_reindex_all(env, index["rate"], args.reindex_limit, args.seed)
        cr.rollback()
        machine["load_after"] = str(load_average())
    results = {
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "target_p95_ms": TARGET_P95_MS,
        "counts": counts,
        "search": search,
        "index": index,
        "reindex_all": reindex,
        "machine": machine,
    }
    text = json.dumps(results, ensure_ascii=False, indent=2)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
