"""The Ajax interface's message list on a 100,000-message folder, in Chromium.

    .venv/bin/python bench/ajax_list.py [--messages 100000] [--data DIR]

Set-up (not timed): a data directory made by ``fieldpost init`` whose account big@bench.test has N
messages in its Inbox, filled as bench/webmail_list.py fills its folder (kept in ``--data`` and reused
when it already holds them); the web service started as the supervisor starts it (gunicorn, gevent).

What is timed, in Debian's Chromium through Playwright, signed in to Ajax:

* first list paint: from pressing "Sign in" to the first row showing its sender and subject (login, the
  shell page, its modules, the JMAP session, Mailbox/get, the first Email/query and Email/get);
* a jump to the middle of the folder (scrollTop set to row N/2) until that row is painted, and one to the
  last row: what a drag of the scroll bar costs (an Email/query at that position, an Email/get of the
  visible rows), with the duration of each JMAP request it made as the browser saw it;
* continuous scrolling: 120 wheel steps of 400 px, 16 ms apart; the frame times the page saw
  (requestAnimationFrame intervals) as the median, the 95th percentile and the number of frames over
  50 ms, and the number of DOM rows at the end (the list keeps only what is near the view).

Each figure is printed with the machine's load average, which this shared machine needs said.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.webmail_list import populate  # noqa: E402
from fieldpost import config as configuration  # noqa: E402
from fieldpost.processes import service_argv  # noqa: E402
from storage import open_store  # noqa: E402

OWNER = "big@bench.test"
PASSWORD = "bench-password-1"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip
PORT_OFFSET = 37000
REPO = Path(__file__).resolve().parents[1]


def prepare(data: Path, n: int) -> None:
    if not (data / "fieldpost.toml").exists():
        subprocess.run(
            [sys.executable, "-m", "fieldpost", "init", "--data", str(data), "--admin-password", "bench-admin-1"],
            check=True, cwd=REPO,
        )  # fmt: skip
    config = configuration.load(data)
    store = open_store(config.database_url, config.blob_dir)
    try:
        if not any(d.name == "bench.test" for d in store.domains.list()):
            store.domains.add("bench.test")
            store.accounts.add(OWNER, PASSWORD)
        inbox = store.folders.get(OWNER, "INBOX")
        if inbox.message_count == 0:
            print(f"populating {n} messages ...", flush=True)
            started = time.perf_counter()
            populate(store, inbox.id, n)
            print(f"populated in {time.perf_counter() - started:.0f} s", flush=True)
        print(f"folder holds {store.folders.get(OWNER, 'INBOX').message_count} messages", flush=True)
    finally:
        store.close()


def start_web(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    config = configuration.load(data, PORT_OFFSET)
    port = {listener.name: listener.port for listener in config.listeners("web")}["webmail"]
    proc = subprocess.Popen(
        service_argv(config, "web"), cwd=REPO, env=config.child_environment(), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return proc, url
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise SystemExit("the web service did not start") from None
            time.sleep(0.3)


PAINTED = """(position) => {
  const row = document.querySelector(`.ax-row[data-position="${position}"]`);
  return Boolean(row && !row.classList.contains("ax-loading") && row.querySelector(".ax-subject"));
}"""

API_CALLS = """() => performance.getEntriesByType("resource")
  .filter((entry) => entry.name.includes("/jmap/api")).map((entry) => entry.duration)"""

FRAMES = """() => new Promise((done) => {
  const list = document.querySelector(".ax-rows");
  const times = [];
  let last = performance.now();
  let running = true;
  const frame = (now) => { times.push(now - last); last = now; if (running) requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  let step = 0;
  const wheel = setInterval(() => {
    list.scrollTop += 400;
    step += 1;
    if (step === 120) {
      clearInterval(wheel);
      setTimeout(() => { running = false; done({times, rows: list.querySelectorAll(".ax-row").length}); }, 300);
    }
  }, 16);
})"""


def measure(url: str, n: int) -> list[tuple[str, str]]:
    from playwright.sync_api import sync_playwright

    found: list[tuple[str, str]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(120_000)
        page.goto(f"{url}/login")
        page.fill("#username", OWNER)
        page.fill("#password", PASSWORD)
        page.check("input[name=interface][value=ajax]")
        started = time.perf_counter()
        page.click("button[type=submit]")
        page.wait_for_function(PAINTED, arg=0, polling="raf")
        found.append(("first list paint after Sign in", f"{(time.perf_counter() - started) * 1000:.0f} ms"))
        total = page.evaluate("document.querySelector('.ax-spacer').offsetHeight / 52")
        found.append(("rows the list knows of", f"{total:.0f}"))
        for label, position in (("jump to the middle", n // 2), ("jump to the last row", n - 1)):
            page.evaluate("performance.clearResourceTimings()")
            started = time.perf_counter()
            page.evaluate(f"document.querySelector('.ax-rows').scrollTop = {position} * 52")
            page.wait_for_function(PAINTED, arg=position, polling="raf")
            elapsed = (time.perf_counter() - started) * 1000
            calls = page.evaluate(API_CALLS)
            found.append((f"{label} (row {position}) painted", f"{elapsed:.0f} ms"))
            found.append(("  its JMAP requests (ms each)", ", ".join(f"{c:.0f}" for c in calls)))
        page.evaluate("document.querySelector('.ax-rows').scrollTop = 0")
        page.wait_for_function(PAINTED, arg=0, polling="raf")
        result = page.evaluate(FRAMES)
        times = sorted(result["times"][1:])
        p95 = times[int(len(times) * 0.95) - 1]
        found.append(("scrolling 48,000 px: frames", str(len(times))))
        found.append(("  median / p95 frame", f"{statistics.median(times):.1f} / {p95:.1f} ms"))
        found.append(("  frames over 50 ms", str(sum(1 for t in times if t > 50))))
        found.append(("  DOM rows after the scroll", str(result["rows"])))
        browser.close()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/fieldpost-bench-ajax"))
    args = parser.parse_args()
    prepare(args.data, args.messages)
    proc, url = start_web(args.data)
    try:
        rows = measure(url, args.messages)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    print(
        f"load average {os.getloadavg()[0]:.1f} / {os.getloadavg()[1]:.1f} / {os.getloadavg()[2]:.1f} on {os.cpu_count()} cores"
    )
    for label, value in rows:
        print(f"  {label}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
