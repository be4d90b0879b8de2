import sqlite3, time, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("pragma journal_mode=wal"); db.execute("pragma synchronous=normal")
cols = "namespace_id, _version, start_time, execution_time, workflow_id, workflow_type_name, status, close_time, history_length, history_size_bytes, execution_duration, state_transition_count, memo, encoding, task_queue, search_attributes, parent_workflow_id, parent_run_id, root_workflow_id, root_run_id"
src = db.execute("select rowid from executions_visibility where search_attributes like '%KeywordList02%' limit 1").fetchone()[0]
row = db.execute(f"select {cols} from executions_visibility where rowid=?", (src,)).fetchone()
row = list(row)
ceil_sa = '{"BuildIds":"unversioned\u2661unversioned:14cfbbd5ef68b887f99dec8af4638729"}'
hook_sa = row[15]
ph = ",".join("?"*21)
def run(sa, tag, n=1500):
    t = time.perf_counter()
    for i in range(n):
        r = row[:]; r[15] = sa; r[7] = None
        db.execute("begin")
        db.execute(f"INSERT INTO executions_visibility (run_id, {cols}) VALUES ({ph}) ON CONFLICT (namespace_id, run_id) DO NOTHING", [f"{tag}-{i}"] + r)
        db.execute("commit")
    t1 = time.perf_counter()
    for i in range(n):
        r = row[:]; r[15] = sa
        db.execute("begin")
        db.execute(f"INSERT INTO executions_visibility (run_id, {cols}) VALUES ({ph}) ON CONFLICT (namespace_id, run_id) DO UPDATE SET _version=excluded._version, close_time=excluded.close_time, status=excluded.status, search_attributes=excluded.search_attributes WHERE executions_visibility._version <= excluded._version", [f"{tag}-{i}"] + r)
        db.execute("commit")
    t2 = time.perf_counter()
    print(tag, "insert %.3f ms, close-upsert %.3f ms" % ((t1-t)/n*1000, (t2-t1)/n*1000))
for k in range(2):
    run(ceil_sa, f"c{k}"); run(hook_sa, f"h{k}")
