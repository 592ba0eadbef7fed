"""The Nimbus clock across restarts and resets: an advance is saved in the data directory
before it is answered (so it survives kill -9), a clock running faster than real time is
saved when Nimbus stops, a reset keeps the clock, and Nimbus time never goes backwards."""

import time
import urllib.error

import pytest
from conftest import Nimbus

DAY_MS = 86_400_000


def _now(n):
    return n.admin("GET", "/_nimbus/clock")["epoch_millis"]


def _wall_ms():
    return int(time.time() * 1000)


def test_an_advance_survives_kill_9_and_reset(tmp_path):
    data = tmp_path / "data"
    n = Nimbus(data_dir=data).start()
    try:
        before = _now(n)
        advanced = n.admin("POST", "/_nimbus/clock/advance", {"seconds": 86400})["epoch_millis"]
        assert advanced - before >= DAY_MS
    finally:
        n.kill9()
    n = Nimbus(data_dir=data).start()
    try:
        resumed = _now(n)
        assert resumed >= advanced
        assert resumed - _wall_ms() >= DAY_MS - 60_000
        assert n.admin("POST", "/_nimbus/reset") == {"status": "reset"}
        assert _now(n) >= resumed
    finally:
        n.stop()
    # The reset wiped the services' data, not the clock.
    n = Nimbus(data_dir=data).start()
    try:
        assert _now(n) - _wall_ms() >= DAY_MS - 60_000
    finally:
        n.stop()


def test_a_fast_clock_resumes_where_it_stopped(tmp_path):
    data = tmp_path / "data"
    n = Nimbus(data_dir=data, extra_args=["--time-scale", "1000"]).start()
    try:
        deadline = time.time() + 30
        while _now(n) - _wall_ms() < 100_000:  # 100 Nimbus seconds ahead: 0.1 s real
            assert time.time() < deadline, "the fast clock did not run ahead"
            time.sleep(0.02)
        last_seen = _now(n)
    finally:
        n.stop()  # SIGTERM: Nimbus saves the clock on its way out
    n = Nimbus(data_dir=data).start()
    try:
        assert _now(n) >= last_seen
        assert n.admin("GET", "/_nimbus/clock")["time_scale"] == 1.0
    finally:
        n.stop()


def test_a_memory_only_nimbus_starts_at_wall_time(make_nimbus):
    n = make_nimbus()
    assert abs(_now(n) - _wall_ms()) < 60_000


@pytest.mark.parametrize("seconds", [-1, 1e300, "soon"])
def test_bad_advances_are_refused(make_nimbus, seconds):
    n = make_nimbus()
    before = _now(n)
    with pytest.raises(urllib.error.HTTPError) as e:
        n.admin("POST", "/_nimbus/clock/advance", {"seconds": seconds})
    assert e.value.code == 400
    assert _now(n) - before < 60_000
