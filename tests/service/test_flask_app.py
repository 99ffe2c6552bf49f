"""The Flask subclass: views and hooks run as Flask runs them, the coroutine check cached."""

from __future__ import annotations

import pytest
from flask import Flask

from kiosk_service.app import CashmixFlask


class View:
    def sync(self):
        return "sync"

    async def coroutine(self):
        return "coroutine"


def plain():
    return "plain"


async def coroutine():
    return "coroutine"


def test_sync_views_and_hooks_come_back_as_they_are():
    app = CashmixFlask("test")
    view = View()
    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(view.sync) == view.sync
    assert [app.ensure_sync(plain)() for _ in range(3)] == ["plain"] * 3


@pytest.mark.parametrize("function", [coroutine, View().coroutine])
def test_coroutines_go_where_flask_sends_them(function):
    # Without asgiref (Flask's async extra) both refuse a coroutine the same way.
    with pytest.raises(RuntimeError) as flasks:
        Flask("test").ensure_sync(function)
    with pytest.raises(RuntimeError) as ours:
        CashmixFlask("test").ensure_sync(function)
    assert str(ours.value) == str(flasks.value)
