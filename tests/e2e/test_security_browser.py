"""Browser-side protections in Debian's Chromium against a real `kiosk-service serve`: the
Content-Security-Policy is enforced and the pages break none of it, the console cookie's flags
as the browser keeps them, and a forged form post refused."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from denomination.catalogue import default_catalogue
from tests.e2e.conftest import free_port

DEMO = "demo-czk"

#: Runs before any page script (Playwright injects it outside the page's CSP): every violation
#: the browser reports lands in window.cspViolations.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.cspViolations.push(
  {directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample}));
"""


@pytest.fixture
def watched(page) -> Iterator:
    """The page, recording CSP violations (events and console messages)."""
    page.add_init_script(RECORD_VIOLATIONS)
    page.csp_messages = []
    page.on("console", lambda message: page.csp_messages.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page


def violations(page) -> list:
    return page.evaluate("window.cspViolations") + page.csp_messages


@pytest.fixture
def demo(server, database):
    """Start the server in demo mode (kiosk page on); return (base URL, staff key)."""
    _, kiosk, staff = database
    http = server.start(CASHMIX_KIOSK_DEMO="true", CASHMIX_KIOSK_DEMO_KEY=kiosk,
                        CASHMIX_DISPENSERS=f'{{{DEMO} = "sim://?seed=7&pace=0"}}')
    return http.base, staff


def sign_in(page, base: str, key: str) -> None:
    page.goto(f"{base}/console/sign-in")
    page.get_by_label("Staff key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/console/terminals/{DEMO}")


def cassette(base: str, key: str, cid: str) -> dict:
    request = urllib.request.Request(f"{base}/api/v1/terminals/{DEMO}/cassettes/{cid}",
                                     headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_the_kiosk_page_keeps_to_its_policy_and_the_policy_is_enforced(watched, demo):
    base, _ = demo
    response = watched.goto(f"{base}/kiosk/{DEMO}")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    watched.wait_for_selector("body[data-ready=true]")
    watched.click("#quick button[data-value='200000']")       # quotes, options, mix cards
    watched.wait_for_selector("#options .option >> nth=1")
    assert violations(watched) == []

    # An injected inline script is refused, and reported.
    ran = watched.evaluate("""() => { const s = document.createElement("script");
        s.textContent = "window.injected = true"; document.head.append(s);
        return window.injected === true; }""")
    assert ran is False
    assert [v["directive"] for v in watched.evaluate("window.cspViolations")] == [
        "script-src-elem"]


def test_the_console_and_api_docs_keep_to_their_policy(watched, demo):
    base, staff = demo
    watched.goto(f"{base}/console/sign-in")
    expect(watched.get_by_label("Staff key")).to_be_visible()
    sign_in(watched, base, staff)
    expect(watched.locator("#cassette-A")).to_be_visible()     # overview with its fill bars
    assert violations(watched) == []
    watched.goto(f"{base}/api/v1/docs")
    expect(watched.locator(".opblock").first).to_be_visible()   # Swagger UI ran
    assert violations(watched) == []


def test_the_browser_keeps_the_session_cookie_httponly_and_samesite_strict(page, demo):
    base, staff = demo
    sign_in(page, base, staff)
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["session"]
    assert (session["httpOnly"], session["sameSite"], session["secure"]) == (True, "Strict",
                                                                              False)  # plain http
    assert "session=" not in page.evaluate("document.cookie")   # no script can read it


class AttackerPage(http.server.BaseHTTPRequestHandler):
    """Serves one page that posts a forged cassette change to the console as soon as it loads."""

    form = ""

    def do_GET(self) -> None:
        body = f"""<!doctype html><html><body>{self.form}
            <script>document.forms[0].submit()</script></body></html>""".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def attacker() -> Iterator[tuple[type, int]]:
    port = free_port()
    handler = type("Attacker", (AttackerPage,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, port
    server.shutdown()
    server.server_close()


# localhost is another site than 127.0.0.1 (the browser sends no SameSite=Strict cookie);
# 127.0.0.1 on another port is the same site (the cookie goes): the CSRF token refuses both.
@pytest.mark.parametrize("attacker_host", ["localhost", "127.0.0.1"])
def test_a_forged_form_post_changes_nothing(page, demo, attacker, attacker_host):
    base, staff = demo
    handler, port = attacker
    before = cassette(base, staff, "B")
    face = default_catalogue().currency("CZK").face(before["denomination"])
    target = f"{base}/console/terminals/{DEMO}/cassettes/B"
    handler.form = (f'<form method="post" action="{target}">'
                    f'<input name="status" value="inoperative">'
                    f'<input name="reason" value="forged"><input name="count" '
                    f'value="{before["count"]}"><input name="denomination" value="{face}"></form>')
    sign_in(page, base, staff)

    with page.expect_response(lambda r: r.url == target and r.request.method == "POST") as sent:
        page.goto(f"http://{attacker_host}:{port}/")
    assert sent.value.status == 400
    assert cassette(base, staff, "B")["status"] == before["status"] == "ok"


def test_a_form_without_its_token_is_refused_from_the_console_itself(page, demo):
    base, staff = demo
    sign_in(page, base, staff)
    target = f"{base}/console/terminals/{DEMO}/cassettes/B"
    with page.expect_response(lambda r: r.url == target and r.request.method == "POST") as sent:
        page.evaluate("""(target) => { const form = document.createElement("form");
            form.method = "post"; form.action = target;
            for (const [name, value] of [["status", "inoperative"], ["reason", "forged"]]) {
              const input = document.createElement("input");
              input.name = name; input.value = value; form.append(input); }
            document.body.append(form); form.submit(); }""", target)
    assert sent.value.status == 400
    assert cassette(base, staff, "B")["status"] == "ok"
