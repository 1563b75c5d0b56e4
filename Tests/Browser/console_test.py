"""The console in a real browser (Debian's chromium and chromium-driver, driven by
Selenium): what an operator does with it, and what a viewer cannot.

Run by CaravanServerTests/ConsoleBrowserTests.swift against a running node, which passes
what it set up as JSON in CARAVAN_CONSOLE_TEST. Screenshots go to the folder in
CARAVAN_SCREENSHOTS when it is set. Exits non-zero with the reason on the first failure.
"""
import json, os, sys, time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

setup = json.loads(os.environ["CARAVAN_CONSOLE_TEST"])
base = setup["url"]
shots = os.environ.get("CARAVAN_SCREENSHOTS")

options = Options()
for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--window-size=1280,900", "--no-first-run", "--disable-extensions"]:
    options.add_argument(flag)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_page_load_timeout(20)
# A click that posts a form returns before the next page is there: finding an element
# waits for it (up to 15 s) — on a loaded machine the page comes late.
driver.implicitly_wait(15)
wait = WebDriverWait(driver, 15)


def fail(message):
    print("FAILED:", message, "at", driver.current_url)
    print(driver.page_source[:3000])
    driver.quit()
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def shot(name):
    if shots:
        driver.save_screenshot(os.path.join(shots, name + ".png"))


def absent(by, selector):
    """True when the page has no such element (asked without waiting for one)."""
    driver.implicitly_wait(0)
    try:
        return not driver.find_elements(by, selector)
    finally:
        driver.implicitly_wait(15)


def text():
    try:
        return driver.find_element(By.TAG_NAME, "main").text
    except StaleElementReferenceException:  # the page changed while it was read
        return ""


def sign_in(token):
    driver.delete_all_cookies()
    driver.get(base + "/console/login")
    field = driver.find_element(By.NAME, "token")
    field.send_keys(token)
    field.send_keys(Keys.ENTER)  # the keyboard is enough
    wait.until(lambda d: d.current_url.rstrip("/").endswith("/console"))


def until_text(fragment, reload=True, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if fragment in text():
            return
        time.sleep(0.3)
        if reload:
            driver.refresh()
    fail("never saw %r" % fragment)


try:
    # A wrong token is refused on the sign-in page.
    driver.get(base + "/console/login")
    shot("sign-in")
    driver.find_element(By.NAME, "token").send_keys("cvn_not-a-token" + Keys.ENTER)
    wait.until(lambda d: "not valid" in d.page_source)

    # The operator signs in and sees the overview with its chart and routes.
    sign_in(setup["operator"])
    check(driver.find_element(By.CSS_SELECTOR, "svg.chart") is not None, "no chart")
    check("payments" in text(), "the overview does not list the payments route")
    shot("overview")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                           {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    shot("overview-dark")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})

    # Find the dead letter by its business header.
    driver.find_element(By.LINK_TEXT, "Dead letters").click()
    header = driver.find_element(By.NAME, "header")
    header.send_keys(setup["header"] + Keys.ENTER)
    wait.until(lambda d: "header=" in d.current_url)
    check("header=" + setup["header"].replace(":", "%3A") in driver.current_url
          or "header=" + setup["header"] in driver.current_url, "the filter is not in the URL")
    rows = driver.find_elements(By.CSS_SELECTOR, "main table tr td a[href^='/console/messages/']")
    check(len(rows) == 1, "expected one dead letter for the header, found %d" % len(rows))
    shot("dead-letters")
    rows[0].click()
    wait.until(lambda d: "Message " in d.title)
    dead_url = driver.current_url
    check("bank refused" in text(), "the attempt timeline does not show the error")
    check('"amount"' in text(), "the body is not shown")
    shot("message")

    # Edit: a body that is not JSON is stopped in the browser, before it is sent.
    driver.find_element(By.TAG_NAME, "summary").click()
    body = driver.find_element(By.ID, "edit-body")
    body.clear()
    body.send_keys('{"amount": ')
    driver.find_element(By.NAME, "headers").send_keys("fixed: yes")
    driver.find_element(By.CSS_SELECTOR, "#edit-form input[name=reason]").send_keys("account corrected")
    driver.find_element(By.ID, "edit-submit").click()
    problem = driver.find_element(By.ID, "edit-problem")
    check(problem.is_displayed() and "not valid JSON" in problem.text, "invalid JSON was not stopped")
    check(driver.current_url == dead_url, "the invalid edit was sent")
    shot("edit-invalid")
    body.clear()
    body.send_keys('{"amount": 42}')
    driver.find_element(By.ID, "edit-submit").click()
    wait.until(lambda d: d.current_url != dead_url)
    check("Replay of" in text(), "the replay does not link to its original")
    until_text("done")
    shot("replayed")
    driver.get(dead_url)
    check("replayed" in text() and "Replayed as" in text(), "the original does not link to its replay")
    check("account corrected" in text(), "the edit is not in the message's operator actions")

    # Bulk: everything the filter matches, after a confirmation that shows the count.
    driver.get(base + "/console/messages?state=dead&header=" + setup["batch"])
    driver.find_element(By.CSS_SELECTOR, "button[name=scope][value=matching]").click()
    wait.until(lambda d: d.find_elements(By.ID, "confirm-count"))
    count = int(driver.find_element(By.ID, "confirm-count").text)
    check(count == setup["batchCount"], "the confirmation counts %d, not %d" % (count, setup["batchCount"]))
    driver.find_element(By.NAME, "reason").send_keys("bank is back")
    shot("confirm")
    driver.find_element(By.ID, "confirm").click()
    wait.until(lambda d: "/console/operations/" in d.current_url)
    until_text("done: replay")
    check(driver.find_element(By.ID, "operation-progress").text == "%d of %d" % (count, count),
          "the operation did not replay all it counted")
    shot("operation")

    # Selected rows: two of the rest, replayed.
    driver.get(base + "/console/messages?state=dead&route=payments")
    boxes = driver.find_elements(By.CSS_SELECTOR, "input[name=id]")
    check(len(boxes) >= 2, "expected dead letters left to select")
    boxes[0].click()
    boxes[1].click()
    driver.find_element(By.CSS_SELECTOR, "button[value=replay]").click()
    wait.until(lambda d: d.find_elements(By.ID, "confirm-count"))
    check(driver.find_element(By.ID, "confirm-count").text == "2", "the selection was not counted")
    driver.find_element(By.NAME, "reason").send_keys("retry two")
    driver.find_element(By.ID, "confirm").click()
    until_text("Replayed 2 dead letters", reload=False)

    driver.get(base + "/console/audit")
    check("edit" in text() and "bulk replay" in text() and "console" in text(), "actions missing from the audit log")
    shot("audit")

    # A viewer sees no action, and a forged form is refused anyway.
    sign_in(setup["viewer"])
    driver.get(base + "/console/messages?state=dead")
    check(absent(By.CSS_SELECTOR, "input[name=id]"), "a viewer can select rows")
    link = driver.find_elements(By.CSS_SELECTOR, "main table tr td a[href^='/console/messages/']")
    check(link, "no dead letter left for the viewer to look at")
    link[0].click()
    wait.until(lambda d: "Message " in d.title)
    for control in ["replay", "discard", "edit-submit"]:
        check(absent(By.ID, control), "a viewer sees the %s button" % control)
    status = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const csrf = document.querySelector('input[name=csrf]').value;
        const body = new URLSearchParams({csrf: csrf, reason: 'forged'});
        fetch(location.pathname + '/replay', {method: 'POST', body: body})
            .then(r => done(r.status), e => done(String(e)));""")
    check(status == 403, "a viewer's forged replay got %s" % status)
    driver.get(base + "/console/tokens")
    check("needs the admin role" in text(), "a viewer reached the tokens page")
    check(absent(By.NAME, "role"), "a viewer sees the token form")
    shot("viewer-message")

    # The admin manages tokens; the new secret is shown once.
    sign_in(setup["admin"])
    driver.get(base + "/console/tokens")
    driver.find_element(By.CSS_SELECTOR, "form input[name=name]").send_keys("partner-ci")
    driver.find_element(By.CSS_SELECTOR, "form.actions button[type=submit]").click()
    check(driver.find_element(By.ID, "new-secret").text.startswith("cvn_"), "no secret shown")
    shot("tokens")
    driver.get(base + "/console/tokens")
    check("cvn_" not in driver.page_source, "a secret is shown a second time")
except Exception as error:  # a Selenium error: say where
    fail(repr(error))

driver.quit()
print("console: all checks passed")
