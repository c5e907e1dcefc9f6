"""One HistoryReader serves several threads (requests, retention, the reliability refresh).

Found by the suite under load (scripts/test-under-load.sh): retention's read
failed and closed the shared connection while the reliability refresh was
querying it in another thread, and the process died of a segmentation fault.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures

from keel.storage.database import open_database
from keel.storage.reader import HistoryReader


def test_closing_the_reader_waits_for_a_read_running_in_another_thread(tmp_path):
    path = tmp_path / "history.sqlite3"
    open_database(path).close()
    reader = HistoryReader(path)
    inside, go = threading.Event(), threading.Event()

    def slow_count(conn):
        inside.set()
        go.wait(30)
        return conn.execute("SELECT count(*) FROM runs").fetchone()[0]

    with ThreadPoolExecutor(2) as pool:
        reading = pool.submit(reader.read, slow_count)
        assert inside.wait(30), "the read never started"
        closing = pool.submit(reader.close)  # as a failed read in another thread does
        # Give an unguarded close() the time to pull the connection from under the read;
        # a correct one waits for it, so how long this wait is cannot make the test fail.
        wait_for_futures([closing], timeout=0.5)
        go.set()
        assert reading.result(30) == 0
        closing.result(30)
    reader.close()
