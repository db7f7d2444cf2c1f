"""The officer console in a real browser: Debian's headless Chromium driven over WebDriver
(selenium), as an officer would use it.

    console_browser.py LOGIN_URL SCREENSHOT_DIR

Prints one JSON object with what the pages showed; the Rust test (tests/console.rs) checks it
against the registry. Exits non-zero when a step fails.
"""

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

# Offline: selenium must not look for drivers or report usage over the network.
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

login_url, shots = sys.argv[1], sys.argv[2]
base = login_url.split("/login")[0]
out = {}

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
    "--lang=ja",
):
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


def shot(name):
    # The whole page, not only the window.
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height, 700), 2400))
    driver.save_screenshot(f"{shots}/{name}.png")
    driver.set_window_size(1280, 900)


def flash():
    """The outcome shown on the page a form returned to (waiting for that page)."""
    el = WebDriverWait(driver, 20).until(ec.presence_of_element_located((By.ID, "flash")))
    return el.get_attribute("class"), el.text


def texts(css):
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, css)]


def http(method, path, headers=None, data=None):
    """A request outside the browser: (status, body)."""
    req = urllib.request.Request(base + path, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


try:
    # Without a session nothing is shown.
    out["no_session"] = http("GET", "/")[0]
    # The one-time login opens the dashboard.
    driver.get(login_url)
    out["dashboard_title"] = driver.find_element(By.TAG_NAME, "h1").text
    out["overdue"] = int(driver.find_element(By.ID, "count-overdue").text)
    out["open_requests"] = int(driver.find_element(By.ID, "count-requests").text)
    out["open_incidents"] = int(driver.find_element(By.ID, "count-incidents").text)
    out["due_rows"] = [
        {
            "date": r.find_element(By.CSS_SELECTOR, "td:nth-child(1)").text,
            "what": r.find_element(By.CSS_SELECTOR, "td:nth-child(3)").text,
            "link": r.find_element(By.CSS_SELECTOR, "td:nth-child(3) a").get_attribute("href").replace(base, ""),
            "class": r.get_attribute("class"),
        }
        for r in driver.find_elements(By.CSS_SELECTOR, "table.due tbody tr")
    ]
    shot("dashboard")
    # The login address works once.
    out["second_login"] = http("GET", login_url.replace(base, ""))[0]
    cookie = driver.get_cookie("tokumei_session")
    out["cookie"] = {"httpOnly": cookie["httpOnly"], "sameSite": cookie.get("sameSite")}
    session = {"Cookie": "tokumei_session=" + cookie["value"]}

    # Releases: the list, then the first release with its verification and class sizes.
    driver.get(base + "/releases")
    out["releases"] = texts("tbody tr td:first-child a")
    driver.find_element(By.CSS_SELECTOR, "tbody tr td:first-child a").click()
    out["release_verify"] = driver.find_element(By.ID, "verify").get_attribute("class")
    out["release_bars"] = len(driver.find_elements(By.CSS_SELECTOR, "#histogram svg rect.b"))
    out["release_facts"] = {
        r.find_element(By.TAG_NAME, "th").text: r.find_element(By.TAG_NAME, "td").text
        for r in driver.find_elements(By.CSS_SELECTOR, "table.kv tr")
    }
    shot("release")
    driver.find_element(By.CSS_SELECTOR, "a.button").click()
    out["report_title"] = driver.title

    # Requests (a chart per month) and incidents.
    driver.get(base + "/requests")
    out["request_chart_bars"] = len(driver.find_elements(By.CSS_SELECTOR, "#per-month svg rect"))
    shot("requests")
    driver.get(base + "/incidents")
    shot("incidents")
    # The newest incident (the list is newest first): in the sample, one with its reports due.
    driver.find_element(By.CSS_SELECTOR, "tbody tr td:first-child a").click()
    shot("incident")
    driver.get(base + "/audit")
    out["audit_verify"] = driver.find_element(By.ID, "verify").get_attribute("class")
    out["audit_head"] = driver.find_element(By.ID, "head").text
    shot("audit")

    # English.
    driver.get(base + "/lang?to=en&back=/contracts")
    out["english_title"] = driver.find_element(By.TAG_NAME, "h1").text
    driver.get(base + "/lang?to=ja&back=/")

    # One action, from two tabs: the first advances the contract, the second (drawn before the
    # first acted) is refused as stale.
    driver.get(base + "/contracts/1")
    first = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get(base + "/contracts/1")
    second = driver.current_window_handle
    driver.switch_to.window(first)
    to = Select(driver.find_element(By.NAME, "to"))
    out["advance_to"] = to.first_selected_option.get_attribute("value")
    driver.find_element(By.NAME, "note").send_keys("利用期間の終了を確認（コンソールから）")
    driver.find_element(By.CSS_SELECTOR, "#advance button").click()
    out["advance_flash"], out["advance_text"] = flash()
    shot("contract")
    driver.switch_to.window(second)
    driver.find_element(By.CSS_SELECTOR, "#advance button").click()
    out["stale_flash"], out["stale_text"] = flash()

    # A form posted from another site: refused by its Origin, and without the session's token.
    form = urllib.parse.urlencode({"csrf": "x", "version": "0", "to": "closed"}).encode()
    out["cross_site"] = http(
        "POST", "/contracts/1/advance", {**session, "Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"}, form
    )[0]
    out["bad_token"] = http(
        "POST", "/contracts/1/advance", {**session, "Content-Type": "application/x-www-form-urlencoded"}, form
    )[0]
    # Another host name (DNS rebinding) is refused.
    out["other_host"] = http("GET", "/", {**session, "Host": "evil.example"})[0]
    status, body = http("GET", "/", session)
    out["headers_ok"] = status == 200 and "<script" not in body
finally:
    driver.quit()

print(json.dumps(out, ensure_ascii=False))
