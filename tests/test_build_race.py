"""Two processes rebuild the same catalog at the same moment, round after round: it never vanishes.

Before the per-catalog lock, each build switched the registry and then dropped every other version,
so A switched, B switched, A dropped B's table, B dropped A's: the registry pointed at a dropped
table and the catalog was gone. RECCHAT_RACE_ROUNDS (default 5) sets the rounds; 20 for a long run.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import traceback

from recchat.core.schema import Item

N_ITEMS = 40
NAME = "race"


def _items() -> list[Item]:
    return [Item(id=f"r{i}", title=f"Race item {i}", text=f"race item {i} about topic {i % 5}") for i in range(N_ITEMS)]


def _worker(home: str, rounds: int, barrier, errors) -> None:
    os.environ["RECCHAT_HOME"] = home
    try:
        from recchat.core.settings import reset_settings
        from recchat.retrieval.embedder import get_embedder
        from recchat.retrieval.store import get_store

        reset_settings()
        store, embedder, items = get_store(), get_embedder(), _items()
        store.embed_with_cache(embedder, [it.text for it in items])  # warm: the rounds race on the switch
        barrier.wait()
        for _ in range(rounds):
            barrier.wait()  # both start together
            store.build(NAME, items, embedder)
            barrier.wait()  # both done: the parent checks
            barrier.wait()  # the parent has checked
    except Exception:
        errors.put(traceback.format_exc())
        barrier.abort()


def test_two_processes_rebuilding_one_catalog_never_lose_it(empty_home):
    from recchat.retrieval.registry import table_version
    from recchat.retrieval.store import get_store

    rounds = int(os.environ.get("RECCHAT_RACE_ROUNDS", "5"))
    ctx = mp.get_context("spawn")  # LanceDB and the embedder hold threads: no fork
    barrier, errors = ctx.Barrier(3, timeout=300), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(str(empty_home), rounds, barrier, errors)) for _ in range(2)]
    for p in procs:
        p.start()
    store = get_store()
    problems = []
    try:
        barrier.wait()
        for r in range(rounds):
            barrier.wait()
            barrier.wait()
            names = store._table_names()
            present = [i.name for i in store.list()]
            if NAME not in present:
                problems.append(f"round {r + 1}: catalog gone (tables: {sorted(t for t in names if 'race' in t)})")
            else:
                info = store.info(NAME)
                n = store.db.open_table(info.table).count_rows()
                if not info.items == n == N_ITEMS:
                    problems.append(f"round {r + 1}: registry says {info.items}, table has {n}")
                versions = [t for t in names if table_version(NAME, t) is not None]
                if versions != [info.table]:
                    problems.append(f"round {r + 1}: versions left behind: {versions}")
            barrier.wait()
    except Exception as e:  # a broken barrier: a worker failed; its traceback is in `errors`
        problems.append(f"{type(e).__name__}: {e}")
    for p in procs:
        p.join(timeout=120)
    while not errors.empty():
        problems.append(errors.get())
    assert not problems, "\n".join(problems)
    assert all(p.exitcode == 0 for p in procs)
