"""A headless Chromium for the console's browser tests (test_console.py), driven by Selenium through Debian's
chromedriver.

Nothing leaves loopback: the driver is /usr/bin/chromedriver, given to Selenium by path (so Selenium Manager, which
would look up and download drivers, never runs), SE_AVOID_STATS is set before Selenium is imported (no usage
statistics), Chromium's background networking, component updates and first-run work are off, and every request
Chromium makes to anything but loopback goes to a proxy on a closed loopback port, where it fails (Chromium always
bypasses proxies for loopback, so the pages under test load directly).

`missing()` says what is not installed (the tests skip, or fail in CI, with that reason); `Browser` is one Chromium
(a module's tests share one, and `reset()` gives each test fresh cookies and storage); downloads land in
`Browser.downloads`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

os.environ["SE_AVOID_STATS"] = "true"  # before selenium is imported: no statistics sent anywhere

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

# Generous: CI is a loaded 2-core machine, and a page load there can take seconds.
PAGE_TIMEOUT = 60
WAIT_TIMEOUT = 30

# Where Chromium sends anything not on loopback: a port nothing listens on, so such a request fails at once.
DEAD_PROXY = "http://127.0.0.1:9"

ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--window-size=1280,900",
    # Belt and braces for "nothing leaves loopback": no default-browser check, sync, domain reliability
    # reports, DNS prefetching or field trials, and a dead proxy for every non-loopback URL.
    "--no-default-browser-check",
    "--disable-sync",
    "--disable-domain-reliability",
    "--dns-prefetch-disable",
    "--disable-field-trial-config",
    "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,"
    "CertificateTransparencyComponentUpdater",
    "--metrics-recording-only",
    "--password-store=basic",
    f"--proxy-server={DEAD_PROXY}",
)


def missing() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    absent = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if importlib.util.find_spec("selenium") is None:
        absent.append("selenium (PyPI)")
    if absent:
        return (f"browser tests need Chromium, chromedriver and Selenium; not installed: {', '.join(absent)} "
                f"(apt-get install chromium chromium-driver; pip install selenium)")
    return None


class Browser:
    """One headless Chromium and its chromedriver, with a profile and a download directory of its own."""

    def __init__(self, workdir: Path):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.downloads = self.workdir / "downloads"
        self.downloads.mkdir(exist_ok=True)
        self.profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=self.workdir))
        self.driver_log = self.workdir / "chromedriver.log"

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ARGUMENTS:
            options.add_argument(arg)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.add_experimental_option("prefs", {
            "download.default_directory": str(self.downloads),
            "download.prompt_for_download": False,
            "download.directory_upgrade": True,
            "safebrowsing.enabled": False,
            "credentials_enable_service": False,
            "profile.password_manager_enabled": False,
        })
        options.page_load_strategy = "normal"
        # port=0: chromedriver gets a free port, on loopback (it binds 127.0.0.1 unless told otherwise).
        service = Service(executable_path=CHROMEDRIVER, port=0, log_output=str(self.driver_log),
                          service_args=["--allowed-ips=127.0.0.1"])
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(PAGE_TIMEOUT)
        self.driver.set_script_timeout(PAGE_TIMEOUT)
        self.allow_downloads()

    # -- state -------------------------------------------------------------------------------

    def allow_downloads(self) -> None:
        """Headless Chromium downloads only when told where (Page.setDownloadBehavior, as the prefs say)."""
        d = str(self.downloads)
        try:
            self.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": d})
        except Exception:  # noqa: BLE001 - deprecated in newer Chromium: the Browser domain's equivalent
            self.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": d})

    def reset(self, origin: str) -> None:
        """A fresh start for the next test on `origin` (e.g. http://127.0.0.1:1234): no cookies (every path's, not
        only the current page's: the console's cookie has Path=/console), no local or session storage or cache
        of the origin, no downloads, a blank page."""
        d = self.driver
        try:
            d.switch_to.alert.dismiss()  # a previous test's failure may have left one open
        except Exception:  # noqa: BLE001 - none open: the usual case
            pass
        d.get("about:blank")
        d.execute_cdp_cmd("Network.clearBrowserCookies", {})
        d.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
        for f in self.downloads.iterdir():
            if f.is_file():
                f.unlink()
        self.allow_downloads()

    def quit(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    # -- pages -------------------------------------------------------------------------------

    def get(self, url: str) -> None:
        self.driver.get(url)

    def status(self) -> int | None:
        """The HTTP status of the page now shown (the Navigation Timing entry; after a redirect, the final one's)."""
        return self.driver.execute_script(
            "const e = performance.getEntriesByType('navigation')[0]; return e ? e.responseStatus : null;")

    def wait(self, condition, timeout: float = WAIT_TIMEOUT, what: str = "condition"):
        from selenium.webdriver.support.ui import WebDriverWait
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(
            condition, f"{what} not met within {timeout}s (at {self.driver.current_url})")

    def wait_css(self, selector: str, timeout: float = WAIT_TIMEOUT):
        """The first element matching `selector`, once one is in the page."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC
        return self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, selector)), timeout,
                         what=f"an element {selector!r}")

    def css(self, selector: str):
        from selenium.webdriver.common.by import By
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def click_and_load(self, element, timeout: float = PAGE_TIMEOUT) -> None:
        """Click something that navigates, and wait until the new document has loaded (the old one's <html> is
        stale and the new one is complete)."""
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
        from selenium.webdriver.common.by import By
        old = self.driver.find_element(By.TAG_NAME, "html")
        element.click()

        def replaced(_):
            # Selenium's staleness_of only knows StaleElementReferenceException; asked in the middle of the navigation,
            # Chromium may answer that the node no longer belongs to the document instead: the same fact.
            try:
                old.is_enabled()
                return False
            except StaleElementReferenceException:
                return True
            except WebDriverException as e:
                if "does not belong to the document" in str(e) or "No node with given id" in str(e):
                    return True
                raise
        self.wait(replaced, timeout, what="the next page")
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete", timeout,
                  what="the next page to finish loading")

    def screenshot(self, path: Path) -> Path:
        self.driver.save_screenshot(str(path))
        return path

    def save_page(self, path: Path) -> Path:
        """The current page's HTML (as the browser holds it), for a failed test's reader."""
        try:
            path.write_text(self.driver.page_source)
        except Exception:  # noqa: BLE001 - an alert or a crashed tab: nothing to save
            pass
        return path

    # -- downloads ---------------------------------------------------------------------------

    def wait_download(self, name: str, timeout: float = PAGE_TIMEOUT) -> Path:
        """The downloaded file `name`, once Chromium has finished writing it (no .crdownload left)."""
        from conftest import wait_for
        target = self.downloads / name

        def done():
            if any(p.name.endswith(".crdownload") for p in self.downloads.iterdir()):
                return None
            return target if target.is_file() else None

        return wait_for(done, timeout=timeout,
                        what=f"the download {name} in {self.downloads} (no .crdownload left)")
