"""Flow control with a stepped clock."""

from __future__ import annotations

from sidecars.net.errorcontrol import CONTINUE, DROP, ErrorControl, ErrorLimits
from sidecars.net.flow import TOO_FAST, TOO_FAST_FROM_IP, TOO_MANY, TOO_MANY_FROM_IP, FlowControl
from sidecars.net.rules import Limits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_no_limits_admit_everything() -> None:
    flow = FlowControl(Limits())
    assert all(flow.admit(f"192.0.2.{i % 3}") is None for i in range(1000))
    assert flow.active == 1000


def test_simultaneous_connections_in_all() -> None:
    flow = FlowControl(Limits(max_connections=2))
    assert flow.admit("192.0.2.1") is None
    assert flow.admit("192.0.2.2") is None
    assert flow.admit("192.0.2.3") == TOO_MANY
    flow.release("192.0.2.1")
    assert flow.admit("192.0.2.3") is None


def test_simultaneous_connections_per_address() -> None:
    flow = FlowControl(Limits(max_per_ip=2))
    assert flow.admit("192.0.2.1") is None
    assert flow.admit("192.0.2.1") is None
    assert flow.admit("192.0.2.1") == TOO_MANY_FROM_IP
    assert flow.admit("192.0.2.2") is None  # another address is not affected
    flow.release("192.0.2.1")
    assert flow.admit("192.0.2.1") is None
    # per_ip=False: counted but not checked (an allow rule's own per-address limits apply instead)
    assert flow.admit("192.0.2.1", per_ip=False) is None
    assert flow.active_from("192.0.2.1") == 3


def test_new_connections_per_interval() -> None:
    clock = Clock()
    flow = FlowControl(Limits(new_per_interval=3, interval_seconds=10), clock)
    for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        assert flow.admit(ip) is None
        flow.release(ip)  # closing does not give the slot back: it is a rate
    assert flow.admit("192.0.2.4") == TOO_FAST
    clock.now += 9.9
    assert flow.admit("192.0.2.4") == TOO_FAST
    clock.now += 0.1
    assert flow.admit("192.0.2.4") is None


def test_new_connections_per_address_per_interval() -> None:
    clock = Clock()
    flow = FlowControl(Limits(new_per_ip_per_interval=2, interval_seconds=60), clock)
    assert flow.admit("192.0.2.1") is None
    assert flow.admit("192.0.2.1") is None
    assert flow.admit("192.0.2.1") == TOO_FAST_FROM_IP
    assert flow.admit("192.0.2.2") is None
    clock.now += 60
    assert flow.admit("192.0.2.1") is None


def test_refused_attempts_are_not_counted() -> None:
    clock = Clock()
    flow = FlowControl(Limits(max_per_ip=1, new_per_interval=2, interval_seconds=60), clock)
    assert flow.admit("192.0.2.1") is None
    for _ in range(10):
        assert flow.admit("192.0.2.1") == TOO_MANY_FROM_IP
    assert flow.admit("192.0.2.2") is None  # the refused ten did not use up the rate


def test_limits_change_live_and_counters_carry_over() -> None:
    flow = FlowControl(Limits(max_connections=5))
    for i in range(3):
        assert flow.admit(f"192.0.2.{i}") is None
    flow.limits = Limits(max_connections=3)
    assert flow.admit("192.0.2.9") == TOO_MANY


def test_memory_stays_bounded() -> None:
    clock = Clock()
    flow = FlowControl(Limits(new_per_ip_per_interval=5, interval_seconds=60), clock, max_tracked=100)
    for i in range(10_000):
        ip = f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"
        assert flow.admit(ip) is None
        flow.release(ip)
        clock.now += 0.001
    assert flow.tracked_addresses <= 100
    # windows whose interval is over are dropped as new ones come
    clock.now += 61
    assert flow.admit("192.0.2.1") is None
    assert flow.tracked_addresses <= 2


def test_release_forgets_closed_addresses() -> None:
    flow = FlowControl(Limits(max_per_ip=5))
    for i in range(100):
        flow.admit(f"192.0.2.{i}")
    for i in range(100):
        flow.release(f"192.0.2.{i}")
    assert flow.active == 0 and flow.tracked_addresses == 0


def test_error_control_drops_at_the_limits() -> None:
    control = ErrorControl(ErrorLimits(max_errors=3, max_auth_failures=2))
    assert control.protocol_error() == CONTINUE
    assert control.protocol_error() == CONTINUE
    assert control.auth_failure() == CONTINUE
    assert control.auth_failure() == DROP
    assert control.reason == "2 failed authentications"
    unlimited = ErrorControl(ErrorLimits(max_errors=0, max_auth_failures=0))
    assert all(unlimited.protocol_error() == CONTINUE for _ in range(1000))
    errors = ErrorControl(ErrorLimits(max_errors=3, max_auth_failures=0))
    assert [errors.protocol_error() for _ in range(3)] == [CONTINUE, CONTINUE, DROP]
