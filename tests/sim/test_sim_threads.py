"""The simulator serves a multi-threaded service: one operation at a time, status while waiting."""

from __future__ import annotations

import threading

from kiosk_service.hardware import DispenserError, ManualClock, OutputPosition, open_dispenser


class GatedClock(ManualClock):
    """A manual clock whose long sleeps (a customer's wait) hold until the test opens the gate."""

    def __init__(self):
        super().__init__()
        self.sleeping, self.gate = threading.Event(), threading.Event()

    def sleep(self, seconds: float) -> None:
        if seconds >= 10:
            self.sleeping.set()
            self.gate.wait(5)
        super().sleep(seconds)


def test_status_answers_while_another_thread_waits_for_the_customer(cassettes):
    clock = GatedClock()
    device = open_dispenser("sim://?pace=0&faults=no_take", clock=clock, cassettes=cassettes)
    device.dispense({"D": 2})
    device.present()
    outcome = []
    waiter = threading.Thread(target=lambda: outcome.append(device.wait_for_take(30)))
    waiter.start()
    assert clock.sleeping.wait(5)
    seen = device.status().position
    clock.gate.set()
    waiter.join(5)
    assert seen == OutputPosition.PRESENTED
    assert outcome[0].position == OutputPosition.RETRACTED


def test_concurrent_cycles_lose_no_note(cassettes):
    device = open_dispenser("sim://?seed=3&faults=double_pick:0.1,no_take:0.3",
                            clock=ManualClock(), cassettes=cassettes)
    codes = []

    def customer():
        for _ in range(15):
            try:
                device.dispense({"D": 1})
                device.present()
                device.wait_for_take(30)
            except DispenserError as error:
                codes.append(error.code)

    threads = [threading.Thread(target=customer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert device.inventory().unaccounted() == {}
    assert set(codes) <= {"items_left", "no_items", "sequence_error", "not_dispensable",
                          "cash_unit_error"}
