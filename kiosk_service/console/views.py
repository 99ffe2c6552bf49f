"""Console pages: sign-in, the fleet, overview (with the ledger check), the recommended next
load, replenish, cassette changes, journal, policy.

Views stay thin: read the form, call one staff use case, render. Every POST carries the
session's CSRF token; a form with problems is shown again with each problem by its field.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from markupsafe import Markup

from denomination.catalogue import default_catalogue
from denomination.errors import CashmixError, InvalidRequest
from denomination.preferences import PREFERENCE_KINDS
from kiosk_service.console import forms
from kiosk_service.console.journal_view import entry_view
from kiosk_service.console.session import (
    actor,
    check_csrf,
    csrf_token,
    sign_in,
    signed_in,
    signed_in_key,
)
from kiosk_service.errors import (
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthenticated,
    status_for,
)
from kiosk_service.formatting import format_money
from kiosk_service.plan_load import recommend_load
from kiosk_service.records import JOURNAL_KINDS, Role
from kiosk_service.services import journal as journal_service
from kiosk_service.services import staff
from kiosk_service.services.audit import audit_terminal
from kiosk_service.services.cassettes import change_cassette
from kiosk_service.services.fleet import FleetSort, fleet_page
from kiosk_service.services.keys import authenticate
from kiosk_service.web_deps import current_deps, current_setting

blp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
                static_folder="static", static_url_path="/static")
blp.before_request(check_csrf)

#: Journal entries per page, newest first.
JOURNAL_PAGE_SIZE = 50
#: Terminals per fleet page.
FLEET_PAGE_SIZE = 50
#: The fleet page's orders, as offered (the first is the default).
FLEET_SORTS = {FleetSort.ID: "id", FleetSort.REGION: "region",
               FleetSort.FILL: "lowest fill", FleetSort.EMPTY: "soonest empty"}
#: The planner behind "Recommend the next load" (plan-load's defaults): days of dispense
#: history, loads tried, processes. Settings CONSOLE_PLAN_DAYS, _TRIALS, _JOBS override them.
PLAN_SETTINGS = {"days": 28, "trials": 24, "jobs": 1}


@blp.app_template_global()
def csrf_field() -> str:
    return Markup(f'<input type="hidden" name="csrf_token" value="{csrf_token()}">')


@blp.app_template_filter("money")
def money(value: int, currency: str) -> str:
    return format_money(value, currency)


@blp.app_template_filter("face")
def face(value: int, currency: str) -> str:
    return default_catalogue().currency(currency).face(value)


@blp.errorhandler(CashmixError)
def problem_page(error: CashmixError):
    return render_template("console/problem.html", error=error), status_for(error)


@blp.get("/sign-in")
def sign_in_page():
    return render_template("console/sign_in.html", form=forms.Form({}))


@blp.post("/sign-in")
def sign_in_submit():
    form = forms.Form(forms.raw(request.form))
    key, deps, status, headers = None, current_deps(), 401, {}
    try:
        key = authenticate(form.raw.get("key", "").strip() or None, uow=deps.unit_of_work(),
                           clock=deps.clock, address=request.remote_addr,
                           limits=deps.auth_limits)
    except Unauthenticated:
        form.problem("key", "this key is not valid")
    except TooManyRequests as error:
        status, headers = 429, error.headers
        form.problem("key", f"too many failed sign-ins; try again in "
                            f"{error.details['retry_after']} seconds")
    if key is not None and key.role not in (Role.STAFF, Role.ADMIN):
        form.problem("key", f"a {key.role} key cannot sign in to the console; use a staff key")
    if form.errors:
        return render_template("console/sign_in.html", form=form), status, headers
    sign_in(key)
    target = request.args.get("next", "")
    return redirect(target if target.startswith("/console/") else url_for("console.terminals"))


@blp.post("/sign-out")
def sign_out():
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("console.sign_in_page"))


@blp.get("/")
@signed_in
def terminals():
    ids = staff.visible_terminals(g.console_key, uow=current_deps().unit_of_work())
    if len(ids) == 1:
        return redirect(url_for("console.overview", tid=ids[0]))
    return redirect(url_for("console.fleet"))


@blp.get("/terminals")
@signed_in
def fleet():
    deps = current_deps()
    filters = forms.fleet_filters(request.args, tuple(str(s) for s in FLEET_SORTS))
    values = filters.values
    found = fleet_page(g.console_key, uow=deps.unit_of_work(), clock=deps.clock,
                       region=values["region"], sort=FleetSort(values["sort"]),
                       page=values["page"], page_size=FLEET_PAGE_SIZE)
    return render_template("console/terminals.html", fleet=found, form=filters,
                           sorts=FLEET_SORTS), 422 if filters.errors else 200


@blp.get("/terminals/<tid>")
@signed_in
def overview(tid: str):
    deps = current_deps()
    found = staff.overview(tid, uow=deps.unit_of_work(), clock=deps.clock)
    # The ledger check of this one terminal: its journal, dispenses and one device status.
    ledger = audit_terminal(tid, uow=deps.unit_of_work(), clock=deps.clock, devices=deps.devices)
    return render_template("console/overview.html", overview=found, t=found.terminal,
                           ledger=ledger)


@blp.route("/terminals/<tid>/replenish", methods=["GET", "POST"])
@signed_in
def replenish(tid: str):
    deps = current_deps()
    terminal = staff.terminal(tid, uow=deps.unit_of_work())
    currency = default_catalogue().currency(terminal.currency)
    if request.method == "GET":
        return _replenish_page(terminal, forms.replenish_initial(request.args, terminal))
    form = forms.replenish_form(request.form, terminal, currency)
    if form.errors:
        return _replenish_page(terminal, form), 422
    loaded, total = form.values["loaded"], form.values["total"]
    try:
        if request.form.get("confirm") != "yes":
            plan = staff.check_replenishment(terminal, loaded, total)
            return render_template("console/replenish_confirm.html", t=terminal, plan=plan,
                                   form=form, loaded=loaded, total=total)
        done = staff.replenish(tid, loaded, total, actor=actor(), reason=form.values["reason"],
                               uow=deps.unit_of_work(), clock=deps.clock, devices=deps.devices)
    except InvalidRequest as error:
        form.errors.update(error.errors)
        return _replenish_page(terminal, form), 422
    flash("Replenished: " + ", ".join(f"{c} {b} → {a}" for c, (b, a) in done.items()))
    return redirect(url_for("console.overview", tid=tid))


@blp.post("/terminals/<tid>/recommendation")
@signed_in
def recommendation(tid: str):
    """Run the cash planner on the terminal's recent dispenses (tens of seconds with the
    default settings, hence a button and not part of the overview) and show its load."""
    deps = current_deps()
    settings = {name: int(current_setting(f"CONSOLE_PLAN_{name.upper()}", default))
                for name, default in PLAN_SETTINGS.items()}
    terminal = staff.terminal(tid, uow=deps.unit_of_work())
    try:
        found = recommend_load(tid, uow=deps.unit_of_work(), **settings)
    except InvalidRequest:
        return render_template("console/recommendation.html", t=terminal, found=None)
    rows = _recommended_rows(found)
    prefill = {f"loaded.{r['cassette'].id}": r["add"] for r in rows if r["add"]}
    return render_template("console/recommendation.html", t=found.terminal, found=found,
                           rows=rows, prefill=prefill, scores=_scores(found))


def _recommended_rows(found) -> list[dict[str, Any]]:
    """Return per cassette: the count now, the current and the recommended load and low
    threshold, and the notes to load now to reach the recommended load."""
    chosen = found.run.plan.chosen.candidate
    load, low = dict(chosen.load), dict(chosen.thresholds)
    return [{"cassette": c, "current": found.current[c.id], "load": load[c.id],
             "low": low[c.id], "add": max(0, load[c.id] - c.count)}
            for c in found.terminal.cassettes]


def _scores(found) -> list[dict[str, str]]:
    """Return the expected visits a month, refused share and mean cash of the current load
    and the recommended one, as shown."""
    currency = default_catalogue().currency(found.terminal.currency)
    return [{"label": label, "visits": f"{score.visits:.1f}", "refused": f"{score.refused:.2%}",
             "cash": format_money(currency.round_to_major(round(score.mean_cash)), currency)}
            for label, score in (("current load", found.run.default),
                                 ("recommended load", found.run.planned))]


def _replenish_page(terminal, form: forms.Form):
    return render_template("console/replenish.html", t=terminal, form=form,
                           exponent=default_catalogue().currency(terminal.currency).exponent)


@blp.route("/terminals/<tid>/cassettes/<cid>", methods=["GET", "POST"])
@signed_in
def cassette(tid: str, cid: str):
    deps = current_deps()
    terminal = staff.terminal(tid, uow=deps.unit_of_work())
    current = terminal.cassette(cid)
    if current is None:
        raise NotFound(f"no cassette {cid!r} in terminal {tid!r}")
    currency = default_catalogue().currency(terminal.currency)
    if request.method == "GET":
        initial = {"denomination": face(current.denomination, terminal.currency),
                   "status": "ok" if str(current.status) == "ok" else "inoperative",
                   "count": str(current.count)}
        return _cassette_page(terminal, current, forms.Form(initial))
    form = forms.cassette_form(request.form, currency)
    if form.errors:
        return _cassette_page(terminal, current, form), 422
    try:
        after = change_cassette(tid, cid, form.values["change"], actor=actor(),
                                uow=deps.unit_of_work(), clock=deps.clock, devices=deps.devices,
                                require_change=True).cassette
    except InvalidRequest as error:
        form.errors.update(error.errors)
        return _cassette_page(terminal, current, form), 422
    except CashmixError as error:
        form.problem("_form", error.message)
        return _cassette_page(terminal, current, form), status_for(error)
    flash(f"Cassette {cid}: {_summary(current, terminal.currency)} → "
          f"{_summary(after, terminal.currency)}")
    return redirect(url_for("console.overview", tid=tid))


def _summary(cassette, currency: str) -> str:
    return f"{cassette.count} × {face(cassette.denomination, currency)}, {cassette.status}"


def _cassette_page(terminal, current, form: forms.Form):
    notes = [face(n, terminal.currency) for n in
             default_catalogue().currency(terminal.currency).notes]
    return render_template("console/cassette.html", t=terminal, c=current, form=form,
                           notes=notes, statuses=[str(s) for s in forms.STAFF_STATUSES])


@blp.get("/terminals/<tid>/journal")
@signed_in
def journal(tid: str):
    deps = current_deps()
    terminal = staff.terminal(tid, uow=deps.unit_of_work())
    filters = forms.journal_filters(request.args)
    page = None
    if not filters.errors:
        values = filters.values
        page = journal_service.read_journal(
            tid, uow=deps.unit_of_work(), kinds=values["kinds"], since=values["since"],
            until=values["until"], page=values["page"], page_size=JOURNAL_PAGE_SIZE,
            subject=values["subject"], newest_first=True)
    entries = [entry_view(e, terminal.currency) for e in page.items] if page else []
    pages = -(-page.total // page.page_size) if page else 0
    return render_template("console/journal.html", t=terminal, form=filters, page=page,
                           entries=entries, pages=pages, kinds=JOURNAL_KINDS), \
        200 if page else 422


@blp.route("/terminals/<tid>/policy", methods=["GET", "POST"])
@signed_in
def policy(tid: str):
    deps = current_deps()
    terminal = staff.terminal(tid, uow=deps.unit_of_work())
    currency = default_catalogue().currency(terminal.currency)
    may_change = g.console_key.role == Role.ADMIN
    if request.method == "GET":
        return _policy_page(terminal, forms.Form({}), may_change)
    if not may_change:
        raise Forbidden("only an admin key may change the dispensing policy")
    form = forms.policy_form(request.form, currency)
    if not form.errors:
        try:
            staff.change_policy(tid, form.values["policy"], actor=actor(),
                                reason=form.values["reason"] or "", uow=deps.unit_of_work(),
                                clock=deps.clock)
        except InvalidRequest as error:
            form.errors.update(error.errors)
    if form.errors:
        return _policy_page(terminal, form, may_change), 422
    flash("The dispensing policy is changed.")
    return redirect(url_for("console.policy", tid=tid))


def _policy_page(terminal, form: forms.Form, may_change: bool):
    currency = default_catalogue().currency(terminal.currency)
    shown = terminal.dispensing.to_mapping(currency)
    if form.raw:
        shown = form.values["policy"]
    return render_template("console/policy.html", t=terminal, form=form, policy=shown,
                           kinds=PREFERENCE_KINDS, may_change=may_change,
                           notes=[(n, face(n, terminal.currency)) for n in currency.notes])


@blp.app_context_processor
def signed_in_person() -> dict[str, Any]:
    if request.blueprint != "console":
        return {}
    return {"person": g.get("console_key") or signed_in_key()}
