"""The web console (/console/) in a real browser: sign-in and sign-out (recorded as ConsoleLogin), the event history
page's filters, time ranges, presets, paging and column chooser, a record's page, downloads, a user without
permission, a record holding HTML shown as text; and, over plain HTTP, the security headers and the CSRF check.

One headless Chromium per module (support/browser.py: Debian's chromium and chromedriver, nothing leaves loopback),
with fresh cookies and storage for each test; each test saves screenshots in its tmp_path (and `end.png` plus
`end.html`, the page it ended on, even when it fails). Browser tests are slow, so they run on SQLite only, except the
admin's sign-in and sign-out: sessions live in the store, so that one runs on PostgreSQL too.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import re
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlparse

import pytest
from botocore.exceptions import ClientError
from botocore.config import Config

from conftest import (EVENTS_PRINCIPAL, Creds, grant, http, new_queue, skip_or_fail_in_ci, sqlite_only, unique,
                      utcnow, wait_for)
from support import browser as chromium

ACCOUNT = "000000000000"
COLUMNS = ["time", "user", "name", "resource-type", "resource-name", "source", "region", "ip", "key", "error"]
DEFAULT_COLUMNS = {"time", "user", "name", "resource-type", "resource-name", "error"}
CSV_HEADER = ["eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userName", "accessKeyId",
              "resourceType", "resourceName", "errorCode", "readOnly", "eventId"]
XSS = "<img src=x onerror=alert(1)>"
COOKIE = "cairn_console"

# Every browser test but the admin's sign-in runs on SQLite only: a browser test costs seconds, and what the store
# does for the console (sessions) is covered on PostgreSQL by that one.
browser_sqlite_only = sqlite_only(reason="browser tests are slow; the admin sign-in/sign-out test covers the "
                                         "console's sessions on PostgreSQL")


# -- fixtures ---------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium for the module's tests."""
    reason = chromium.missing()
    if reason:
        skip_or_fail_in_ci(reason)
    b = chromium.Browser(tmp_path_factory.mktemp("chromium"))
    try:
        yield b
    finally:
        b.quit()


class Console:
    """The console of `server`, seen through `browser`, for one test (screenshots go to its tmp_path)."""

    def __init__(self, browser: chromium.Browser, server, tmp_path: Path):
        self.b = browser
        self.d = browser.driver
        self.server = server
        self.tmp = tmp_path

    # -- pages ---------------------------------------------------------------------------------------------------

    def url(self, path: str, **query) -> str:
        return self.server.endpoint + path + (("?" + urlencode(query)) if query else "")

    def open(self, path: str, **query) -> None:
        self.b.get(self.url(path, **query))

    def shot(self, name: str) -> Path:
        return self.b.screenshot(self.tmp / f"{name}.png")

    def query(self) -> dict[str, str]:
        """The current URL's query parameters (the last value of each)."""
        return {k: v[-1] for k, v in parse_qs(urlparse(self.d.current_url).query, keep_blank_values=True).items()}

    def path(self) -> str:
        return urlparse(self.d.current_url).path

    def one(self, selector: str):
        found = self.b.css(selector)
        assert len(found) == 1, f"expected one {selector!r} at {self.d.current_url}, found {len(found)}"
        return found[0]

    def text(self, element) -> str:
        """An element's text whether or not it is displayed (WebElement.text is '' for a hidden one)."""
        return element.get_attribute("textContent") or ""

    def wait_results(self) -> None:
        """Wait until an events page shows its outcome: the table, the empty-result note or a refusal."""
        self.b.wait(lambda d: self.b.css("#events") or self.b.css("#no-events") or self.b.css("#not-authorized"),
                    what="#events, #no-events or #not-authorized")

    def click(self, selector_or_element) -> None:
        """Click a link or button that navigates, and wait for the next page to load."""
        el = self.one(selector_or_element) if isinstance(selector_or_element, str) else selector_or_element
        self.b.click_and_load(el)

    # -- sign-in -------------------------------------------------------------------------------------------------

    def sign_in(self, creds: Creds, region: str | None = None, succeed: bool = True) -> None:
        self.open("/console/")
        self.b.wait_css("form#signin")
        self.fill("#accessKeyId", creds.access_key)
        self.fill("#secretAccessKey", creds.secret_key)
        if region is not None:
            self.fill("#region", region)
        self.click("#signin-submit")
        if succeed:
            self.b.wait_css("#whoami")
        else:
            self.b.wait_css("#signin-error")

    def sign_out(self) -> None:
        self.click("#signout-submit")
        self.b.wait_css("form#signin")

    def fill(self, selector: str, value: str) -> None:
        el = self.one(selector)
        el.clear()
        el.send_keys(value)

    def cookie(self) -> dict | None:
        """The console's session cookie as the browser holds it (all paths), or None."""
        cookies = self.d.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]
        mine = [c for c in cookies if c["name"] == COOKIE]
        return mine[0] if mine else None

    # -- the events table ----------------------------------------------------------------------------------------

    def rows(self) -> list[dict]:
        """Every `tr.event` of #events: its event id (from the name cell's link), cell texts, failed or not."""
        out = []
        for tr in self.b.css("#events tr.event"):
            row = {"failed": "failed" in (tr.get_attribute("class") or "").split(), "element": tr}
            for col in COLUMNS:
                cells = tr.find_elements("css selector", f"td.col-{col}")
                row[col] = self.text(cells[0]).strip() if cells else None
            links = tr.find_elements("css selector", "td.col-name a")
            assert links, f"a row without a link in its td.col-name: {tr.get_attribute('outerHTML')[:500]}"
            row["link"] = links[0]
            row["id"] = event_id_of(links[0].get_attribute("href"))
            out.append(row)
        return out

    def ids(self) -> list[str]:
        return [r["id"] for r in self.rows()]


@pytest.fixture
def web(browser, server, tmp_path):
    """The console for one test: a blank browser (no cookies, no storage); afterwards the page it ended on is kept
    as end.png and end.html in the test's tmp_path."""
    browser.reset(server.endpoint)
    console = Console(browser, server, tmp_path)
    try:
        yield console
    finally:
        try:
            browser.screenshot(tmp_path / "end.png")
        except Exception:  # noqa: BLE001 - an alert left open, a crashed tab: the test's own failure says more
            pass
        browser.save_page(tmp_path / "end.html")


# -- helpers ----------------------------------------------------------------------------------------------------------

def event_id_of(href: str) -> str:
    path = urlparse(href).path
    assert path.startswith("/console/events/"), href
    return unquote(path[len("/console/events/"):])


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_user(server, prefix: str, actions=None) -> tuple[str, Creds]:
    """A new IAM user with an access key (and, given `actions`, an inline policy allowing exactly those)."""
    iam = server.client("iam")
    name = unique(prefix)
    iam.create_user(UserName=name)
    if actions:
        grant(iam, user=name, actions=actions)
    return name, Creds.from_access_key(iam.create_access_key(UserName=name))


def arn_of(server, creds: Creds | None = None) -> str:
    return server.client("sts", creds).get_caller_identity()["Arn"]


def ids_of(events: list[dict]) -> list[str]:
    return [e["EventId"] for e in events]


def console_logins(server) -> list[dict]:
    return server.lookup("EventName", "ConsoleLogin")


def new_console_login(server, before: set[str], outcome: str) -> dict:
    """The one ConsoleLogin record with `outcome` (Success/Failure) recorded since `before` (event ids)."""
    def found():
        new = [e for e in console_logins(server) if e["EventId"] not in before
               and e["Record"].get("responseElements", {}).get("ConsoleLogin") == outcome]
        return new
    new = wait_for(found, timeout=30, what=f"a new ConsoleLogin {outcome} record")
    assert len(new) == 1, [e["Record"] for e in new]
    return new[0]


def check_console_login(event: dict, outcome: str) -> dict:
    record = event["Record"]
    assert event["EventName"] == "ConsoleLogin"
    assert event["EventSource"] == "signin.amazonaws.com"
    assert record["eventSource"] == "signin.amazonaws.com", record
    assert record["eventName"] == "ConsoleLogin", record
    assert record["eventType"] == "AwsConsoleSignIn", record
    assert record["responseElements"]["ConsoleLogin"] == outcome, record
    return record


class Forms(HTMLParser):
    """The forms of an HTML page (id, method, action, inputs by name), the ids in it, and its labels' `for`."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: dict[str, dict] = {}
        self.ids: set[str] = set()
        self.labels: set[str] = set()
        self._form: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "action": a.get("action"), "inputs": {}}
            self.forms[a.get("id") or f"form{len(self.forms)}"] = self._form
        elif tag in ("input", "select", "textarea") and self._form is not None and a.get("name"):
            self._form["inputs"][a["name"]] = {"type": (a.get("type") or "text").lower(), "value": a.get("value"),
                                               "id": a.get("id")}
        elif tag == "label" and a.get("for"):
            self.labels.add(a["for"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


class Session:
    """A console session over plain HTTP (no browser): the cookies the server set, sent back on every request."""

    def __init__(self, server):
        self.server = server
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, **headers):
        h = dict(headers)
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            h["Content-Type"] = "application/x-www-form-urlencoded"
            h.setdefault("Origin", self.server.endpoint)
        r = http(method, self.server.endpoint + path, body=body, headers=h)
        for line in r.headers.getlist("Set-Cookie"):
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if re.search(r";\s*(max-age=0|expires=Thu, 01 Jan 1970)", line, re.I) or value == "":
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return r

    def sign_in(self, creds: Creds) -> None:
        page = self.request("GET", "/console/")
        csrf = Forms(page.text).forms["signin"]["inputs"]["csrf"]["value"]
        r = self.request("POST", "/console/signin", form={"accessKeyId": creds.access_key,
                                                          "secretAccessKey": creds.secret_key, "csrf": csrf})
        assert r.status_code == 303, (r.status_code, r.text[:300])


def get_following(server, path: str, cookie: str | None = None, hops: int = 5):
    """GET `path` (with the console cookie `cookie`, if given), following redirects on the server as a browser
    would; the final response."""
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
    url = server.endpoint + path
    for _ in range(hops):
        r = http("GET", url, headers=headers)
        if r.status_code not in (301, 302, 303, 307, 308):
            return r
        location = r.headers["Location"]
        url = location if location.startswith("http") else server.endpoint + location
    raise AssertionError(f"more than {hops} redirects from {path}")


def check_security_headers(r, what: str) -> None:
    h = r.headers
    csp = h.get("Content-Security-Policy")
    assert csp, f"{what}: no Content-Security-Policy ({dict(h)})"
    directives = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    assert "default-src 'self'" in csp, f"{what}: {csp}"
    scripts = directives.get("script-src-elem") or directives.get("script-src") or directives.get("default-src")
    assert "'unsafe-inline'" not in scripts, f"{what}: scripts may be inline: {csp}"
    assert "'unsafe-inline'" not in directives.get("script-src", []), f"{what}: {csp}"
    assert h.get("X-Frame-Options", "").upper() == "DENY", f"{what}: X-Frame-Options {h.get('X-Frame-Options')}"
    assert h.get("Referrer-Policy", "").lower() == "no-referrer", f"{what}: Referrer-Policy {h.get('Referrer-Policy')}"


# -- 1. sign-in and sign-out ------------------------------------------------------------------------------------------

def test_admin_signs_in_and_out(server, web):
    """The admin signs in with the server's credentials: #whoami shows their ARN, the session cookie is HttpOnly and
    SameSite=Strict on /console, the sign-in is a ConsoleLogin Success record and the console's own LookupEvents
    calls are recorded as the admin from the console; after sign-out the session is gone (its cookie no longer
    works). Runs on both engines: sessions live in the store."""
    admin_arn = arn_of(server)
    before = set(ids_of(console_logins(server)))

    web.open("/console/")
    form = web.b.wait_css("form#signin")
    assert form.get_attribute("method").lower() == "post"
    assert urlparse(form.get_attribute("action")).path == "/console/signin"
    assert web.one("#accessKeyId").get_attribute("name") == "accessKeyId"
    secret = web.one("#secretAccessKey")
    assert secret.get_attribute("name") == "secretAccessKey" and secret.get_attribute("type") == "password"
    assert web.one("#region").get_attribute("name") == "region"
    for field in ("accessKeyId", "secretAccessKey", "region"):
        assert web.b.css(f"label[for='{field}']"), f"no <label for={field}>"
    csrf = web.b.css("form#signin input[name='csrf']")
    assert len(csrf) == 1 and csrf[0].get_attribute("type") == "hidden" and csrf[0].get_attribute("value")
    assert not web.b.css("#whoami")
    web.shot("signin")

    web.sign_in(server.admin)
    assert admin_arn in web.one("#whoami").text, (web.one("#whoami").text, admin_arn)
    assert web.b.status() == 200
    cookie = web.cookie()
    assert cookie, "no cairn_console cookie after signing in"
    assert cookie["httpOnly"] is True, cookie
    assert cookie.get("sameSite") == "Strict", cookie
    assert cookie["path"] == "/console", cookie
    nav = web.one("nav#nav")
    paths = {urlparse(a.get_attribute("href")).path for a in nav.find_elements("css selector", "a")}
    assert "/console/events" in paths, paths
    signout = web.one("form#signout")
    assert signout.get_attribute("method").lower() == "post"
    assert urlparse(signout.get_attribute("action")).path == "/console/signout"
    assert web.b.css("form#signout input[name='csrf'][type='hidden']")
    web.shot("signed-in")

    # The sign-in is in the history.
    login = new_console_login(server, before, "Success")
    record = check_console_login(login, "Success")
    assert record["userIdentity"].get("arn") == admin_arn, record["userIdentity"]

    # The event history, reached from the navigation; the console's LookupEvents calls are the admin's, from the
    # console.
    before_lookups = set(ids_of(server.lookup("EventName", "LookupEvents")))
    web.click(nav.find_element("css selector", "a[href$='/console/events']"))
    web.wait_results()
    assert web.path() == "/console/events"
    assert admin_arn in web.one("#whoami").text
    web.shot("events")

    def console_lookups():
        return [e for e in server.lookup("EventName", "LookupEvents") if e["EventId"] not in before_lookups
                and e["Record"].get("userAgent") == "console.amazonaws.com"]
    lookups = wait_for(console_lookups, timeout=30, what="a LookupEvents record made by the console")
    for e in lookups:
        r = e["Record"]
        assert r.get("sessionCredentialFromConsole") == "true", r
        assert r["userIdentity"].get("arn") == admin_arn, r["userIdentity"]

    # Sign out: the sign-in form again, and the old cookie opens nothing.
    old = cookie["value"]
    web.sign_out()
    web.shot("signed-out")
    web.open("/console/events")
    web.b.wait_css("form#signin")
    assert not web.b.css("#whoami") and not web.b.css("#events")
    stale = get_following(server, "/console/events", old)
    assert 'id="whoami"' not in stale.text and 'id="signin"' in stale.text, (stale.status_code, stale.text[:500])


@browser_sqlite_only
def test_wrong_secret_is_refused_and_recorded(server, web):
    """A wrong secret for a known key: the sign-in page again with 401 and #signin-error, no session cookie, and a
    ConsoleLogin Failure naming the key's user. An unknown key is refused the same way. The right secret then
    signs the same (permissionless) user in."""
    name, creds = new_user(server, "console-wrong")
    before = set(ids_of(console_logins(server)))

    web.sign_in(Creds(creds.access_key, creds.secret_key[:-4] + "AAAA"), succeed=False)
    error = web.one("#signin-error")
    assert "Sign-in failed" in error.text and "error" in error.get_attribute("class").split()
    assert web.b.status() == 401
    assert web.b.css("form#signin") and not web.b.css("#whoami")
    assert web.cookie() is None, web.cookie()
    web.shot("wrong-secret")

    failure = new_console_login(server, before, "Failure")
    record = check_console_login(failure, "Failure")
    assert record["userIdentity"].get("userName") == name, record["userIdentity"]

    web.sign_in(Creds("AKIA" + uuid.uuid4().hex[:16].upper(), creds.secret_key), succeed=False)
    assert "Sign-in failed" in web.one("#signin-error").text
    assert web.b.status() == 401
    assert web.cookie() is None
    web.shot("unknown-key")

    web.sign_in(creds)
    assert f"arn:aws:iam::{ACCOUNT}:user/{name}" in web.one("#whoami").text
    web.shot("right-secret")


# -- 3. filters, time ranges, presets ---------------------------------------------------------------------------------

@browser_sqlite_only
def test_filters_combine_with_a_time_range_and_presets(server, web):
    """EventName and Username together (AND) within a StartTime/EndTime around now: only that user's calls of that
    name; Username and ReadOnly=false: only their (failed) write; a time range in the past: nothing; the presets."""
    started = utcnow()
    alice, alice_creds = new_user(server, "console-alice")
    bob, bob_creds = new_user(server, "console-bob")
    alice_sts = server.client("sts", alice_creds)
    alice_sts.get_caller_identity()
    alice_sts.get_caller_identity()
    with pytest.raises(ClientError):  # Alice may not create users: a failed, recorded, non-read-only call
        server.client("iam", alice_creds).create_user(UserName=unique("denied"))
    server.client("sts", bob_creds).get_caller_identity()
    alice_events = server.lookup("Username", alice)
    assert len(alice_events) == 3, [e["EventName"] for e in alice_events]
    alice_gci = [e["EventId"] for e in alice_events if e["EventName"] == "GetCallerIdentity"]
    alice_write = [e for e in alice_events if e["EventName"] == "CreateUser"]
    assert len(alice_write) == 1 and len(alice_gci) == 2
    bob_ids = set(ids_of(server.lookup("Username", bob)))

    web.sign_in(server.admin)
    web.open("/console/events")
    web.wait_results()
    form = web.one("form#filters")
    assert form.get_attribute("method").lower() == "get"
    assert urlparse(form.get_attribute("action")).path == "/console/events"
    for field in ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource",
                  "AccessKeyId", "StartTime", "EndTime"):
        assert web.b.css(f"form#filters [name='{field}']"), f"no filter field named {field}"
    for field in web.b.css("form#filters input:not([type='hidden']), form#filters select"):
        fid = field.get_attribute("id")
        assert fid and web.b.css(f"label[for='{fid}']"), f"filter {field.get_attribute('name')} has no <label for>"
    options = [o.get_attribute("value") for o in web.b.css("form#filters select[name='ReadOnly'] option")]
    assert sorted(options) == ["", "false", "true"], options

    # Two attributes and a time range, typed into the form.
    web.fill("form#filters [name='EventName']", "GetCallerIdentity")
    web.fill("form#filters [name='Username']", alice)
    web.fill("form#filters [name='StartTime']", iso(started - dt.timedelta(minutes=10)))
    web.fill("form#filters [name='EndTime']", iso(utcnow() + dt.timedelta(minutes=10)))
    web.click("#apply-filters")
    web.wait_results()
    q = web.query()
    assert q.get("EventName") == "GetCallerIdentity" and q.get("Username") == alice, q
    rows = web.rows()
    assert sorted(r["id"] for r in rows) == sorted(alice_gci), [(r["name"], r["user"]) for r in rows]
    assert all(alice in r["user"] and r["name"] == "GetCallerIdentity" and not r["failed"] for r in rows), rows
    assert not set(r["id"] for r in rows) & bob_ids
    web.shot("two-attributes-and-time")

    # Username and ReadOnly=false (the select): only Alice's refused CreateUser, shown as failed.
    from selenium.webdriver.support.ui import Select
    web.open("/console/events")
    web.wait_results()
    web.fill("form#filters [name='Username']", alice)
    Select(web.one("form#filters select[name='ReadOnly']")).select_by_value("false")
    web.click("#apply-filters")
    web.wait_results()
    assert web.query().get("ReadOnly") == "false"
    rows = web.rows()
    assert [r["id"] for r in rows] == [alice_write[0]["EventId"]], [(r["name"], r["user"]) for r in rows]
    assert rows[0]["failed"] and rows[0]["name"] == "CreateUser", rows[0]
    assert "AccessDenied" in (rows[0]["error"] or ""), rows[0]
    web.shot("read-only-false")

    # A time range wholly in the past: nothing.
    web.open("/console/events", Username=alice, StartTime=iso(started - dt.timedelta(hours=3)),
             EndTime=iso(started - dt.timedelta(hours=2)))
    web.wait_results()
    assert web.b.css("#no-events") and not web.rows()
    web.shot("past-range")

    # Presets: each link sets Range; following one keeps showing the table; Range with a filter is an AND.
    web.open("/console/events", Username=alice)
    web.wait_results()
    for preset in ("hour", "day", "week"):
        href = web.one(f"a.preset#preset-{preset}").get_attribute("href")
        assert parse_qs(urlparse(href).query).get("Range") == [preset], href
    web.click("#preset-hour")
    web.wait_results()
    assert web.query().get("Range") == "hour", web.d.current_url
    rows = web.rows()
    assert rows, "no events in the last hour"
    if web.query().get("Username") == alice:  # the preset kept the filter
        assert sorted(r["id"] for r in rows) == sorted(ids_of(alice_events))
    web.shot("preset-hour")
    web.open("/console/events", Username=alice, Range="week")
    web.wait_results()
    assert sorted(web.ids()) == sorted(ids_of(alice_events))


# -- 4. paging --------------------------------------------------------------------------------------------------------

@browser_sqlite_only
def test_paging_forward_and_back(server, web):
    """12 matching events at PageSize=5: pages of 5, 5 and 2, newest first, with next/previous links; going back
    shows the same rows again."""
    name, creds = new_user(server, "console-pager")
    sts = server.client("sts", creds)
    for _ in range(12):
        sts.get_caller_identity()
    expected = ids_of(server.lookup("Username", name))
    assert len(expected) == 12

    web.sign_in(server.admin)
    web.open("/console/events", Username=name, PageSize="5")
    web.wait_results()
    assert web.ids() == expected[0:5]
    assert not web.b.css("#prev-page") and web.b.css("#next-page")
    web.shot("page-1")

    web.click("#next-page")
    web.wait_results()
    assert web.ids() == expected[5:10]
    assert web.b.css("#prev-page") and web.b.css("#next-page")
    web.shot("page-2")

    web.click("#next-page")
    web.wait_results()
    assert web.ids() == expected[10:12]
    assert web.b.css("#prev-page") and not web.b.css("#next-page")
    web.shot("page-3")

    web.click("#prev-page")
    web.wait_results()
    assert web.ids() == expected[5:10]
    web.click("#prev-page")
    web.wait_results()
    assert web.ids() == expected[0:5]
    assert not web.b.css("#prev-page")
    assert web.query().get("Username") == name
    web.shot("back-to-page-1")


# -- 5. a record's page -----------------------------------------------------------------------------------------------

@browser_sqlite_only
def test_record_page_and_its_links(server, web):
    """A row's link opens the record: #record holds the whole record (as LookupEvents returns it), #user-events
    leads to the user's history and a.resource-events to the resource's; an unknown id is a 404 page."""
    maker, creds = new_user(server, "console-maker", actions=["iam:CreateUser"])
    made = unique("console-made")
    server.client("iam", creds).create_user(UserName=made)
    server.client("sts", creds).get_caller_identity()
    [created] = [e for e in server.lookup("ResourceName", made) if e["EventName"] == "CreateUser"]
    maker_ids = set(ids_of(server.lookup("Username", maker)))

    web.sign_in(server.admin)
    web.open("/console/events", ResourceName=made)
    web.wait_results()
    rows = web.rows()
    assert [r["id"] for r in rows] == [created["EventId"]]
    assert rows[0]["resource-name"] and made in rows[0]["resource-name"], rows[0]
    assert rows[0]["resource-type"] and "AWS::IAM::User" in rows[0]["resource-type"], rows[0]
    web.click(rows[0]["link"])
    pre = web.b.wait_css("pre#record")
    assert web.path() == f"/console/events/{created['EventId']}"
    assert json.loads(web.text(pre)) == json.loads(created["CloudTrailEvent"])
    web.shot("record")

    user_link = web.one("a#user-events")
    assert parse_qs(urlparse(user_link.get_attribute("href")).query).get("Username") == [maker]
    resource_links = web.b.css("a.resource-events")
    assert [parse_qs(urlparse(a.get_attribute("href")).query).get("ResourceName") for a in resource_links] \
        == [[made]], [a.get_attribute("href") for a in resource_links]

    web.click(user_link)
    web.wait_results()
    assert web.path() == "/console/events" and web.query().get("Username") == maker
    assert set(web.ids()) == maker_ids
    web.shot("user-history")

    web.d.back()
    web.b.wait_css("pre#record")
    web.click("a.resource-events")
    web.wait_results()
    assert web.query().get("ResourceName") == made
    assert web.ids() == [created["EventId"]]

    web.open(f"/console/events/{uuid.uuid4()}")
    web.b.wait_css("#not-found")
    assert web.b.status() == 404
    assert not web.b.css("pre#record")
    web.shot("not-found")


# -- 6. downloads -----------------------------------------------------------------------------------------------------

@browser_sqlite_only
def test_downloads_json_and_csv(server, web):
    """The download links carry the page's filters: the JSON file holds the whole records, the CSV file the header
    and one row per event, and cells starting with = + - @ (IAM user names may) come with a leading quote."""
    name, creds = new_user(server, "console-dl", actions=["iam:CreateUser"])
    server.client("sts", creds).get_caller_identity()
    iam = server.client("iam", creds)
    formulas = [f"{c}SUM{uuid.uuid4().hex[:6]}" for c in "=+-@"]
    for f in formulas:
        iam.create_user(UserName=f)
    events = server.lookup("Username", name)
    assert len(events) == 1 + len(formulas)
    by_id = {e["EventId"]: e for e in events}

    web.sign_in(server.admin)
    web.open("/console/events", Username=name)
    web.wait_results()
    assert sorted(web.ids()) == sorted(by_id)

    for fmt in ("json", "csv"):
        href = web.one(f"a#download-{fmt}").get_attribute("href")
        u = urlparse(href)
        assert u.path == "/console/events/download", href
        assert parse_qs(u.query).get("format") == [fmt] and parse_qs(u.query).get("Username") == [name], href

    web.one("a#download-json").click()
    records = json.loads(web.b.wait_download("cairn-events.json").read_text())["Records"]
    assert sorted(r["eventID"] for r in records) == sorted(by_id)
    for r in records:
        assert r == json.loads(by_id[r["eventID"]]["CloudTrailEvent"])

    web.one("a#download-csv").click()
    text = web.b.wait_download("cairn-events.csv").read_text()
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == CSV_HEADER, table[0]
    rows = [dict(zip(CSV_HEADER, row)) for row in table[1:] if row]
    assert sorted(r["eventId"] for r in rows) == sorted(by_id)
    assert {r["userName"] for r in rows} == {name}
    created = {r["resourceName"] for r in rows if r["eventName"] == "CreateUser"}
    assert created == {"'" + f for f in formulas}, created
    for r in rows:
        e = by_id[r["eventId"]]
        assert r["eventName"] == e["EventName"] and r["eventSource"] == e["EventSource"]
        assert r["accessKeyId"] == creds.access_key
    web.shot("downloads")


# -- 7. not authorized ------------------------------------------------------------------------------------------------

@browser_sqlite_only
def test_user_without_permission_is_told_so(server, web):
    """An IAM user with no policy signs in, but may not look up events: #not-authorized, no table."""
    name, creds = new_user(server, "console-nobody")
    web.sign_in(creds)
    assert f"arn:aws:iam::{ACCOUNT}:user/{name}" in web.one("#whoami").text
    web.open("/console/events")
    web.wait_results()
    refusal = web.one("#not-authorized")
    assert "not authorized" in refusal.text.lower() and "error" in refusal.get_attribute("class").split()
    assert not web.b.css("#events") and not web.b.css("tr.event")
    web.shot("not-authorized")


# -- 8. HTML in a record ----------------------------------------------------------------------------------------------

@browser_sqlite_only
def test_html_in_a_record_is_shown_as_text(server, web):
    """A rule whose Description is an <img onerror> tag: its PutRule record's page shows the tag as text, creates no
    element and opens no alert; a filter value with the same tag is echoed as text too."""
    from selenium.common.exceptions import NoAlertPresentException

    resp = server.client("events").put_rule(Name=unique("console-xss"), EventPattern='{"source":["x"]}',
                                            Description=XSS)
    event = server.record_for(resp, "PutRule")

    web.sign_in(server.admin)
    web.open(f"/console/events/{event['EventId']}")
    pre = web.b.wait_css("pre#record")
    assert XSS in web.text(pre)
    assert json.loads(web.text(pre))["requestParameters"]["description"] == XSS
    assert web.b.css("#record img") == []
    assert not [i for i in web.b.css("img") if (i.get_attribute("src") or "").endswith("/x")]
    with pytest.raises(NoAlertPresentException):
        web.d.switch_to.alert
    web.shot("record-with-html")

    web.open("/console/events", Username=XSS)
    web.wait_results()
    assert web.one("form#filters [name='Username']").get_attribute("value") == XSS
    assert not [i for i in web.b.css("img") if (i.get_attribute("src") or "").endswith("/x")]
    with pytest.raises(NoAlertPresentException):
        web.d.switch_to.alert
    web.shot("filter-with-html")


# -- 9. security headers and CSRF (plain HTTP) ------------------------------------------------------------------------

@browser_sqlite_only
def test_security_headers_and_csrf(server):
    """Over plain HTTP: every console page has the CSP, X-Frame-Options and Referrer-Policy headers; a wrong secret
    is a 401 without a session cookie; the right one a 303 with the cookie; downloads are attachments; a sign-out
    without (or with a wrong) csrf field is refused with 403 and the session keeps working; with it, it ends."""
    s = Session(server)
    page = s.request("GET", "/console/")
    assert page.status_code == 200, page.text[:500]
    check_security_headers(page, "GET /console/")
    signin = Forms(page.text).forms["signin"]
    assert signin["method"] == "post" and signin["action"] == "/console/signin", signin
    csrf = signin["inputs"]["csrf"]
    assert csrf["type"] == "hidden" and csrf["value"], csrf
    admin = server.admin

    wrong = s.request("POST", "/console/signin", form={"accessKeyId": admin.access_key,
                                                       "secretAccessKey": admin.secret_key[:-1] + ("y" if admin.secret_key.endswith("x") else "x"),
                                                       "region": "us-east-1", "csrf": csrf["value"]})
    assert wrong.status_code == 401, wrong.text[:500]
    check_security_headers(wrong, "a refused sign-in")
    assert "signin-error" in Forms(wrong.text).ids
    assert not any(c.startswith(COOKIE + "=") for c in wrong.headers.getlist("Set-Cookie"))
    csrf = Forms(wrong.text).forms["signin"]["inputs"]["csrf"]["value"]

    ok = s.request("POST", "/console/signin", form={"accessKeyId": admin.access_key,
                                                    "secretAccessKey": admin.secret_key,
                                                    "region": "us-east-1", "csrf": csrf})
    assert ok.status_code == 303, (ok.status_code, ok.text[:500])
    assert ok.headers.get("Location"), dict(ok.headers)
    [set_cookie] = [c for c in ok.headers.getlist("Set-Cookie") if c.startswith(COOKIE + "=")]
    attrs = [a.strip().lower() for a in set_cookie.split(";")[1:]]
    assert "httponly" in attrs and "samesite=strict" in attrs and "path=/console" in attrs, set_cookie
    assert COOKIE in s.cookies

    events = s.request("GET", "/console/events")
    assert events.status_code == 200 and 'id="whoami"' in events.text, events.text[:500]
    check_security_headers(events, "GET /console/events")
    signout = Forms(events.text).forms["signout"]
    assert signout["method"] == "post" and signout["action"] == "/console/signout", signout
    signout_csrf = signout["inputs"]["csrf"]["value"]
    assert signout_csrf

    missing = s.request("GET", f"/console/events/{uuid.uuid4()}")
    assert missing.status_code == 404 and "not-found" in Forms(missing.text).ids
    check_security_headers(missing, "an unknown record")

    for fmt in ("json", "csv"):
        r = s.request("GET", f"/console/events/download?format={fmt}&EventName=ConsoleLogin")
        assert r.status_code == 200, r.text[:500]
        disposition = r.headers.get("Content-Disposition", "")
        assert disposition.startswith("attachment") and f'filename="cairn-events.{fmt}"' in disposition, disposition
    logins = json.loads(s.request("GET", "/console/events/download?format=json&EventName=ConsoleLogin").content)
    assert logins["Records"] and all(r["eventName"] == "ConsoleLogin" for r in logins["Records"])

    # CSRF: no field, then a wrong one: 403, and the session still works.
    forged = signout_csrf[::-1] if signout_csrf[::-1] != signout_csrf else signout_csrf + "0"
    for form in ({}, {"csrf": forged}):
        refused = s.request("POST", "/console/signout", form=form)
        assert refused.status_code == 403, (form, refused.status_code, refused.text[:300])
        still = s.request("GET", "/console/events")
        assert still.status_code == 200 and 'id="whoami"' in still.text, still.text[:500]

    # With the field, the session ends: its cookie no longer opens anything.
    cookie = s.cookies[COOKIE]
    out = s.request("POST", "/console/signout", form={"csrf": signout_csrf})
    assert out.status_code in (200, 303), (out.status_code, out.text[:300])
    after = get_following(server, "/console/events", cookie)
    assert 'id="whoami"' not in after.text and 'id="signin"' in after.text, after.text[:500]


# -- 10. column chooser -----------------------------------------------------------------------------------------------

@browser_sqlite_only
def test_column_chooser_is_remembered(server, web):
    """The #columns checkboxes: defaults checked as documented; unchecking "user" hides the user cells, and after a
    reload the box is still unchecked and the cells still hidden (localStorage); checking it shows them again."""
    name, creds = new_user(server, "console-cols")
    server.client("sts", creds).get_caller_identity()
    server.client("sts", creds).get_caller_identity()

    web.sign_in(server.admin)
    web.open("/console/events", Username=name)
    web.wait_results()
    boxes = {b.get_attribute("value"): b for b in web.b.css("fieldset#columns input[name='col']")}
    assert sorted(boxes) == sorted(COLUMNS), sorted(boxes)
    assert {v for v, b in boxes.items() if b.is_selected()} == DEFAULT_COLUMNS
    assert len(web.rows()) == 2

    def shown(col):
        return [c.is_displayed() for c in web.b.css(f"#events tr.event td.col-{col}")]

    assert shown("user") and all(shown("user")) and all(shown("name"))
    assert shown("source") and not any(shown("source")), "a column not chosen by default is shown"
    web.shot("columns-default")

    boxes["user"].click()
    web.b.wait(lambda d: not any(shown("user")), what="the user cells to be hidden")
    assert all(shown("name"))
    web.shot("user-unchecked")

    web.d.refresh()
    web.wait_results()
    box = web.b.wait_css("fieldset#columns input[name='col'][value='user']")
    web.b.wait(lambda d: not any(shown("user")), what="the user cells to stay hidden after a reload")
    assert not box.is_selected()
    assert shown("user") and all(shown("name")) and all(shown("time"))
    web.shot("user-hidden-after-reload")

    box.click()
    web.b.wait(lambda d: all(shown("user")), what="the user cells to be shown again")


# -- 11. live tail --------------------------------------------------------------------------------------------------

@browser_sqlite_only
def test_live_tail_adds_new_matching_events(server, web):
    """With "Live tail" on, events recorded after the page loaded appear at the top of the table without a reload,
    filtered as the page is (an IAM call appears under EventSource=iam.amazonaws.com, an SQS call does not); unchecked,
    the tail stops."""
    web.sign_in(server.admin)
    web.open("/console/events", EventSource="iam.amazonaws.com", PageSize="5")
    web.wait_results()
    before = set(web.ids())
    live = web.one("#live-tail")
    live.click()
    web.b.wait(lambda d: "following" in web.text(web.one("#live-status")), what="the live tail to start")

    name = unique("tailed")
    server.client("iam").create_user(UserName=name)
    queue = unique("tail-q")
    server.client("sqs").create_queue(QueueName=queue)

    def tailed():
        return [r for r in web.rows() if r["id"] not in before and r["resource-name"] == name]
    rows = wait_for(tailed, timeout=30, what="the CreateUser event to appear by the live tail")
    assert rows[0]["name"] == "CreateUser", rows[0]
    assert "live" in (rows[0]["element"].get_attribute("class") or "").split()
    assert web.rows()[0]["resource-name"] == name or any(r["resource-name"] == name for r in web.rows()[:3])
    # The SQS call matches no filter of the page: it never shows.
    assert not [r for r in web.rows() if r["name"] == "CreateQueue"], [r["name"] for r in web.rows()]
    web.shot("live-tail")

    # The tailed row links to its record.
    web.click(rows[0]["link"])
    web.b.wait_css("#record")
    assert json.loads(web.text(web.one("#record")))["requestParameters"]["userName"] == name

    # Unchecking stops the tail: nothing new arrives after.
    web.open("/console/events", EventSource="iam.amazonaws.com", PageSize="5")
    web.wait_results()
    web.one("#live-tail").click()
    web.b.wait(lambda d: "following" in web.text(web.one("#live-status")), what="the live tail to start")
    web.one("#live-tail").click()
    assert not web.one("#live-tail").is_selected()
    shown = set(web.ids())
    later = unique("untailed")
    server.client("iam").create_user(UserName=later)
    wait_for(lambda: server.lookup("ResourceName", later), timeout=30, what="the later CreateUser to be recorded")
    assert set(web.ids()) == shown


@browser_sqlite_only
def test_live_tail_is_refused_without_permission(server):
    """The tail's stream answers as the page does: a user without cloudtrail:LookupEvents gets 403, not events."""
    name, creds = new_user(server, "console-notail")
    s = Session(server)
    s.sign_in(creds)
    r = s.request("GET", "/console/events/tail")
    assert r.status_code == 403, (r.status_code, r.text[:300])
    assert "not authorized" in r.text.lower(), r.text[:300]


# -- 12. queues -----------------------------------------------------------------------------------------------------

@browser_sqlite_only
def test_queues_show_counts_and_their_dead_letter_queue(server, web):
    """/console/queues lists each queue with its visible, in-flight and delayed counts and its dead-letter queue; a
    user who may not list queues is told so."""
    sqs = server.client("sqs")
    dlq = unique("console-dlq")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=sqs.create_queue(QueueName=dlq)["QueueUrl"],
                                       AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    main = unique("console-main")
    url = sqs.create_queue(QueueName=main, Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.send_message(QueueUrl=url, MessageBody="two")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=600)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=600)["Messages"]
    assert len(got) == 1

    web.sign_in(server.admin)
    web.open("/console/queues")
    web.b.wait_css("#queues")
    rows = {web.text(tr.find_element("css selector", "td.col-name")).strip(): tr
            for tr in web.b.css("#queues tr.queue")}
    assert main in rows and dlq in rows, list(rows)

    def cell(tr, col):
        return web.text(tr.find_element("css selector", f"td.col-{col}")).strip()
    assert (cell(rows[main], "visible"), cell(rows[main], "in-flight"), cell(rows[main], "delayed")) == ("1", "1", "1")
    assert cell(rows[main], "dlq").startswith(dlq) and "3" in cell(rows[main], "dlq")
    assert cell(rows[dlq], "dlq") == ""
    assert cell(rows[main], "kind") == "Standard"
    web.shot("queues")

    _, creds = new_user(server, "console-noqueues")
    web.b.reset(server.endpoint)
    web.sign_in(creds)
    web.open("/console/queues")
    web.b.wait_css("#not-authorized")
    assert "not authorized" in web.text(web.one("#not-authorized")).lower()
    assert not web.b.css("#queues")
    web.shot("queues-denied")


# -- 13. rules ------------------------------------------------------------------------------------------------------

@browser_sqlite_only
def test_rules_show_targets_with_delivery_counts_and_test_patterns(server, web):
    """/console/rules shows each rule's pattern, state and targets with what became of their deliveries (a queue
    that lets EventBridge send: delivered; one without a policy: dropped, NO_PERMISSIONS as the last error), and
    tests a pattern against a pasted event and against an event from history as the CloudTrail bridge sends it."""
    sqs, events = server.client("sqs"), server.client("events")
    rule = unique("console-rule")
    pattern = {"source": ["console.test"]}
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps(pattern), Description="<b>orders</b>")["RuleArn"]
    ok_url, ok_arn = new_queue(sqs, "console-ok", allow=EVENTS_PRINCIPAL, source_arn=rule_arn)
    _, refused_arn = new_queue(sqs, "console-refused")
    events.put_targets(Rule=rule, Targets=[{"Id": "ok", "Arn": ok_arn}, {"Id": "refused", "Arn": refused_arn}])
    events.put_events(Entries=[{"Source": "console.test", "DetailType": "t", "Detail": json.dumps({"n": i})}
                               for i in range(3)])

    def delivered():
        a = sqs.get_queue_attributes(QueueUrl=ok_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        return int(a["ApproximateNumberOfMessages"]) == 3
    wait_for(delivered, timeout=60, what="three events delivered to the allowed queue")

    web.sign_in(server.admin)

    def target_counts():
        web.open("/console/rules")
        web.b.wait_css("table.rules")
        row = web.one(f"tr.rule[data-rule='{rule}']")
        out = {}
        for t in row.find_elements("css selector", ".target"):
            counts = {c: int(web.text(t.find_element("css selector", f".{c}"))) for c in
                      ("delivered", "retried", "dead-lettered", "dropped")}
            errors = t.find_elements("css selector", ".last-error")
            counts["error"] = web.text(errors[0]) if errors else ""
            out[t.get_attribute("data-target")] = counts
        return out
    counts = wait_for(lambda: (lambda c: c if c.get("refused", {}).get("dropped") == 3 else None)(target_counts()),
                      timeout=60, what="the refused target's three drops to be counted")
    assert counts["ok"] == {"delivered": 3, "retried": 0, "dead-lettered": 0, "dropped": 0, "error": ""}, counts
    assert counts["refused"]["delivered"] == 0 and "NO_PERMISSIONS" in counts["refused"]["error"], counts
    row = web.one(f"tr.rule[data-rule='{rule}']")
    assert json.loads(web.text(row.find_element("css selector", "td.col-pattern pre"))) == pattern
    assert web.text(row.find_element("css selector", ".state")) == "ENABLED"
    assert "<b>orders</b>" in web.text(row.find_element("css selector", "td.col-name"))
    assert not row.find_elements("css selector", "td.col-name b")
    web.shot("rules")

    # The tester: a pasted event, then an event from history as the CloudTrail bridge puts it on the bus.
    event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "t", "source": "console.test",
             "account": ACCOUNT, "time": iso(utcnow()), "region": "us-east-1", "resources": [], "detail": {}}
    web.open("/console/rules", pattern=json.dumps(pattern), event=json.dumps(event))
    assert "matches" in web.text(web.one("#pattern-result")) and "matched" in web.one("#pattern-result").get_attribute("class")
    name = unique("console-bridged")
    server.client("iam").create_user(UserName=name)
    found = wait_for(lambda: server.lookup("ResourceName", name), timeout=30, what="the CreateUser record")
    event_id = found[0]["EventId"]
    web.open("/console/rules", pattern=json.dumps({"source": ["aws.iam"], "detail": {"eventName": ["CreateUser"]}}),
             eventId=event_id)
    assert "matches" in web.text(web.one("#pattern-result")), web.text(web.one("#pattern-result"))
    bridged = json.loads(web.one("#event").get_attribute("value"))
    assert bridged["detail-type"] == "AWS API Call via CloudTrail" and bridged["detail"]["eventID"] == event_id
    web.shot("pattern-tested")
    web.open("/console/rules", pattern=json.dumps({"source": ["aws.sqs"]}), eventId=event_id)
    assert "does not match" in web.text(web.one("#pattern-result"))
    web.open("/console/rules", pattern="{not json", event=json.dumps(event))
    result = web.one("#pattern-result")
    assert "error" in result.get_attribute("class").split() and web.text(result).strip(), web.text(result)

    # Someone who may not list buses is told so.
    _, creds = new_user(server, "console-norules")
    web.b.reset(server.endpoint)
    web.sign_in(creds)
    web.open("/console/rules")
    web.b.wait_css("#not-authorized")
    assert not web.b.css("table.rules")


# -- 14. dashboard --------------------------------------------------------------------------------------------------

@browser_sqlite_only
def test_dashboard_draws_the_last_hour(server, web):
    """Signed in, /console/ is the dashboard: the last hour's calls per minute by service and errors and denials per
    minute as server-drawn SVG, totals, and the top event names and users linking to their history; someone without
    cloudtrail:LookupEvents is told so."""
    name, creds = new_user(server, "console-dash")
    denied = server.client("sqs", creds)
    for _ in range(3):
        with pytest.raises(ClientError):
            denied.list_queues()  # three denials by this user
    server.client("sqs").create_queue(QueueName=unique("console-dash-q"))

    web.sign_in(server.admin)
    web.open("/console/")
    web.b.wait_css("#calls-chart svg")
    assert web.path() == "/console/"
    calls = int(web.text(web.one("#total-calls")))
    denials = int(web.text(web.one("#total-denials")))
    errors = int(web.text(web.one("#total-errors")))
    assert calls >= 5 and denials >= 3 and errors >= denials, (calls, errors, denials)
    assert web.b.css("#calls-chart svg rect"), "no bars in the calls chart"
    assert web.b.css("#errors-chart svg rect.series-1"), "no denial bars"
    legend = web.text(web.one("#calls-chart .legend"))
    assert "sqs" in legend and "iam" in legend, legend
    # The top lists run from the most frequent down, each linking to its history; the administrator, who made
    # most of this module's calls, leads the users.
    def top(selector, key):
        items = []
        for li in web.b.css(selector + " li"):
            a = li.find_element("css selector", "a")
            count = int(web.text(li).rsplit(" ", 1)[-1])
            items.append((web.text(a), count, parse_qs(urlparse(a.get_attribute("href")).query)[key]))
        assert items and [c for _, c, _ in items] == sorted((c for _, c, _ in items), reverse=True), items
        assert all(q == [n] for n, _, q in items), items
        return items
    assert top("#top-users", "Username")[0][0] == "admin"
    names = top("#top-names", "EventName")
    web.shot("dashboard")

    web.click(f"#top-names li a[href$='EventName={names[0][0]}']")
    web.wait_results()
    assert {r["name"] for r in web.rows()} == {names[0][0]}

    web.b.reset(server.endpoint)
    web.sign_in(creds)
    web.open("/console/")
    web.b.wait_css("#not-authorized")
    assert not web.b.css("#calls-chart")


# -- 15. trails -----------------------------------------------------------------------------------------------------

@browser_sqlite_only
def test_trails_show_where_they_deliver_and_how_it_went(browser, cairn_factory, tmp_path):
    """/console/trails lists each trail with its bucket and prefix, whether it is logging, its last log file and
    digest (a server delivering every second), and stopped trails as stopped."""
    srv = cairn_factory.new("--trail-delivery-interval", "1", "--digest-interval", "2")
    s3, ct = srv.client("s3"), srv.client("cloudtrail")
    bucket = unique("console-trail").lower()
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
         "Resource": f"arn:aws:s3:::{bucket}"},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/logs/AWSLogs/{ACCOUNT}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]}))
    live, stopped = unique("console-live"), unique("console-stopped")
    ct.create_trail(Name=live, S3BucketName=bucket, S3KeyPrefix="logs", EnableLogFileValidation=True)
    ct.create_trail(Name=stopped, S3BucketName=bucket, S3KeyPrefix="logs")
    ct.start_logging(Name=live)
    wait_for(lambda: ct.get_trail_status(Name=live).get("LatestDigestDeliveryTime"), timeout=60,
             what="the live trail's first digest")

    browser.reset(srv.endpoint)
    web = Console(browser, srv, tmp_path)
    web.sign_in(srv.admin)
    web.open("/console/trails")
    web.b.wait_css("#trails")
    rows = {tr.get_attribute("data-trail"): tr for tr in web.b.css("#trails tr.trail")}
    assert set(rows) == {live, stopped}, list(rows)

    def cell(name, col):
        return web.text(rows[name].find_element("css selector", f"td.col-{col}")).strip()
    assert cell(live, "bucket") == f"s3://{bucket}/logs"
    assert cell(live, "logging") == "logging" and cell(stopped, "logging") == "stopped"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", cell(live, "digest")), cell(live, "digest")
    assert cell(stopped, "delivery") == "never" and cell(stopped, "digest") == "never"
    assert cell(stopped, "validate") == "no digests"
    web.shot("trails")

    # Validate: the same verdict and counts as `aws cloudtrail validate-logs` over the same window.
    from test_trails import wait_final_digest
    ct.stop_logging(Name=live)
    wait_final_digest(srv, bucket, live, timeout=60)
    start = (utcnow() - dt.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def cli_counts():
        cp = srv.aws("cloudtrail", "validate-logs", "--trail-arn", f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{live}",
                     "--start-time", start, "--region", "us-east-1", check=False, timeout=120)
        return [tuple(map(int, m)) for m in re.findall(r"(\d+)/(\d+) (?:digest|log) files (?:valid|INVALID)", cp.stdout)]

    def console_counts():
        web.click(web.one("#validate-submit"))
        web.b.wait_css("#validation")
        return [tuple(map(int, re.match(r"(\d+)/(\d+)", web.text(web.one(f"#{kind}-totals"))).groups()))
                for kind in ("digest", "log")]

    web.click(rows[live].find_element("css selector", "a.validate"))
    web.b.wait_css("#validation")
    assert web.query()["trail"] == live
    web.fill("#StartTime", start)
    counts = console_counts()
    assert web.text(web.one("#verdict")) == "Valid" and not web.b.css("#problems")
    assert counts == cli_counts() and counts[0][1] >= 2 and counts[1][1] >= 1, counts
    web.shot("validate")

    log_key = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="logs/AWSLogs/")["Contents"]
                     if "/CloudTrail/" in o["Key"])[0]
    s3.put_object(Bucket=bucket, Key=log_key, Body=gzip.compress(b'{"Records":[]}'))
    console_counts()
    assert web.text(web.one("#verdict")) == "Not valid"
    problems = [web.text(li) for li in web.b.css("#problems li")]
    assert len(problems) == 1 and log_key in problems[0] and "hash value doesn't match" in problems[0], problems
    web.shot("validate-tampered")


# -- 16. jobs -------------------------------------------------------------------------------------------------------

@browser_sqlite_only
def test_jobs_show_progress_attempts_state_changes_and_output(browser, cairn_factory, tmp_path):
    """/console/jobs shows S3 Batch Operations jobs with their progress (tasks succeeded, failed, total) and AWS Batch
    jobs by queue with counts per status; a Batch job's page has its state changes, attempts and stdout/stderr, an S3
    job's page its progress; a user who may do neither is told so for each."""
    srv = cairn_factory.new("--batch-runner", "local")
    s3, batch = srv.client("s3"), srv.client("batch")
    ctl = srv.session().client("s3control", endpoint_url=srv.endpoint,
                               config=Config(proxies={"http": srv.endpoint}, retries={"max_attempts": 1}))
    bucket = unique("console-jobs").lower()
    s3.create_bucket(Bucket=bucket)
    for key in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    manifest = "".join(f"{bucket},{k}\n" for k in ("a", "b", "c", "missing"))
    etag = s3.put_object(Bucket=bucket, Key="manifest.csv", Body=manifest.encode())["ETag"]
    s3_job = ctl.create_job(
        AccountId=ACCOUNT, ConfirmationRequired=False, Priority=5, RoleArn=f"arn:aws:iam::{ACCOUNT}:role/console-jobs",
        Operation={"S3PutObjectTagging": {"TagSet": [{"Key": "k", "Value": "v"}]}}, Report={"Enabled": False},
        Manifest={"Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key"]},
                  "Location": {"ObjectArn": f"arn:aws:s3:::{bucket}/manifest.csv", "ETag": etag}},
        Description="tag three")["JobId"]
    wait_for(lambda: ctl.describe_job(AccountId=ACCOUNT, JobId=s3_job)["Job"]["Status"] == "Complete", timeout=60,
             what="the S3 Batch Operations job to complete")

    ce, queue = unique("console-ce"), unique("console-jq")
    batch.create_compute_environment(computeEnvironmentName=ce, type="MANAGED", state="ENABLED",
                                     computeResources={"type": "FARGATE", "maxvCpus": 2, "subnets": ["subnet-0abc"]})
    batch.create_job_queue(jobQueueName=queue, state="ENABLED", priority=1,
                           computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}])
    definition = unique("console-jd")
    batch.register_job_definition(jobDefinitionName=definition, type="container", containerProperties={
        "image": "busybox", "command": ["true"],
        "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "512"}]})
    failing = batch.submit_job(jobName="fails-twice", jobQueue=queue, jobDefinition=definition, retryStrategy={"attempts": 2},
                               containerOverrides={"command": ["sh", "-c", "echo out-$AWS_BATCH_JOB_ATTEMPT; echo '<b>err</b>' >&2; exit 3"]})["jobId"]
    passing = batch.submit_job(jobName="passes", jobQueue=queue, jobDefinition=definition)["jobId"]
    for job in (failing, passing):
        wait_for(lambda: batch.describe_jobs(jobs=[job])["jobs"][0]["status"] in ("SUCCEEDED", "FAILED"), timeout=60,
                 what=f"job {job} to finish")

    browser.reset(srv.endpoint)
    web = Console(browser, srv, tmp_path)
    web.sign_in(srv.admin)
    web.open("/console/jobs")
    web.b.wait_css("#s3-jobs")
    row = web.one(f'#s3-jobs tr[data-job="{s3_job}"]')
    assert web.text(row.find_element("css selector", "td.col-status")).strip() == "Complete"
    assert "3 / 4 succeeded, 1 failed" in web.text(row.find_element("css selector", "td.col-progress"))
    bar = row.find_element("css selector", "rect.bar-succeeded")
    assert bar.get_attribute("width") == "75.0"
    section = web.one(f'#aws-batch section.queue[data-queue="{queue}"]')
    counts = {a.get_attribute("data-status"): web.text(a.find_element("css selector", "b"))
              for a in section.find_elements("css selector", "a.status-count")}
    assert counts["SUCCEEDED"] == "1" and counts["FAILED"] == "1" and counts["RUNNING"] == "0", counts
    web.shot("jobs")

    # Narrowed to FAILED, one job is listed; its page shows both attempts, its timeline and its output, as text.
    section.find_element("css selector", 'a.status-count[data-status="FAILED"]').click()
    web.b.wait_css("table.batch-jobs")
    assert web.query()["status"] == "FAILED"
    assert [tr.get_attribute("data-job") for tr in web.b.css("tr.batch-job")] == [failing]
    web.click(f'tr.batch-job[data-job="{failing}"] a')
    web.b.wait_css("#state-changes")
    assert web.path() == f"/console/jobs/batch/{failing}"
    assert web.text(web.one("#job-status .state")) == "FAILED"
    changes = [web.text(li.find_element("css selector", ".state")) for li in web.b.css("#state-changes tbody tr")]
    assert changes[0] == "SUBMITTED" and changes[-1] == "FAILED" and changes.count("RUNNING") == 2, changes
    assert len(web.b.css("#attempts tbody tr")) == 2
    assert [web.text(td) for td in web.b.css("#attempts tbody tr td:nth-child(4)")] == ["3", "3"]
    outputs = {s.get_attribute("data-attempt"): s for s in web.b.css("section.output")}
    assert set(outputs) == {"1", "2"}
    for attempt, section in outputs.items():
        assert web.text(section.find_element("css selector", "pre.stdout")).strip() == f"out-{attempt}"
        assert web.text(section.find_element("css selector", "pre.stderr")).strip() == "<b>err</b>"
        assert not section.find_elements("css selector", "pre b")
    web.shot("batch-job")

    web.open(f"/console/jobs/s3/{s3_job}")
    web.b.wait_css("#job-progress")
    assert web.text(web.one("#job-status .state")) == "Complete"
    assert "3 / 4 succeeded, 1 failed" in web.text(web.one("#job-progress"))
    web.shot("s3-job")

    # Someone who may neither list S3 Batch Operations jobs nor describe Batch queues sees why, on each panel.
    _, creds = new_user(srv, "console-nojobs")
    r = Session(srv)
    r.sign_in(creds)
    page = r.request("GET", "/console/jobs")
    assert page.status_code == 403
    assert re.search(r'id="s3-problem"[^>]*>Not authorized: ', page.text), page.text[:2000]
    assert re.search(r'id="batch-problem"[^>]*>Not authorized: ', page.text), page.text[:2000]
    assert r.request("GET", f"/console/jobs/batch/{failing}").status_code == 403


# -- 17. keyboard, labels, phone width --------------------------------------------------------------------------------

UNLABELLED = """
return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')].filter(e => {
  if (e.tagName === 'BUTTON') return !(e.textContent.trim() || e.getAttribute('aria-label'));
  return !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby');
}).map(e => e.outerHTML);
"""

# Whether the page is wider than the window (wide tables scroll inside their own box instead).
# (The width is the emulated screen's: on a phone, a page too wide makes the browser widen its viewport to fit.)
OVERFLOW = "return document.documentElement.scrollWidth - arguments[0];"

# Links, buttons and inputs cut off at the window's right edge (those in a scrolling box are reached by scrolling it).
CUT_OFF = """
return [...document.querySelectorAll('a, button, input:not([type=hidden]), select, textarea')].filter(e => {
  if (e.closest('.scroll')) return false;
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.right > arguments[0] + 0.5;
}).map(e => e.outerHTML.slice(0, 120));
"""


@browser_sqlite_only
def test_pages_are_labelled_keyboard_usable_and_fit_a_phone(server, web):
    """Sign-in and the page navigation work with the keyboard alone; every input, select and button of every page
    has a label; no page is wider than a phone's screen (390 px) or a 1280 px window."""
    from selenium.webdriver.common.keys import Keys

    def focused():
        return web.d.switch_to.active_element

    def tab_to(css: str, limit: int = 30):
        """Press Tab until the element matching `css` has the focus; it must be reachable."""
        target = web.one(css)
        for _ in range(limit):
            if focused() == target:
                return target
            focused().send_keys(Keys.TAB)
        raise AssertionError(f"{css} is not reachable with Tab at {web.d.current_url}")

    web.open("/console/")
    web.b.wait_css("form#signin")
    web.d.find_element("css selector", "body").click()
    tab_to("#accessKeyId").send_keys(server.admin.access_key)
    focused().send_keys(Keys.TAB)
    assert focused().get_attribute("id") == "secretAccessKey"
    focused().send_keys(server.admin.secret_key)
    focused().send_keys(Keys.ENTER)
    web.b.wait_css("#whoami")
    tab_to('#nav a[href="/console/events"]').send_keys(Keys.ENTER)
    web.wait_results()
    assert web.path() == "/console/events"

    record = web.b.css("tr.event a")[0].get_attribute("href")
    pages = ["/console/", "/console/events", urlparse(record).path, "/console/rules", "/console/trails",
             "/console/queues", "/console/jobs"]
    try:
        for width, height in ((1280, 900), (390, 844)):
            web.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500})
            for path in pages:
                web.open(path)
                web.b.wait_css("#main")
                assert web.d.execute_script(UNLABELLED) == [], path
                assert web.d.execute_script(OVERFLOW, width) <= 0, f"{path} is wider than {width} px"
                assert web.d.execute_script(CUT_OFF, width) == [], f"{path} at {width} px"
            web.open("/console/events")
            web.wait_results()
            web.shot(f"events-{width}")
    finally:
        web.d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
