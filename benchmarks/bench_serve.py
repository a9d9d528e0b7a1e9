"""`funnelc serve` (issue 18): how long the page takes to answer.

1. **Keystroke -> diagnostics + exact figures, server side.** `POST /api/check` of
   pipelines/saleschef.funnel (29 kB, 37 stages) through Starlette's TestClient, a
   different one-character edit each time: check, lint, graph and `analyze`'s figures,
   serialised. Median of `BENCH_SERVE_RUNS` (default 20). Target <= 300 ms. Reference:
   `api.load_text` + lint alone (what `check` does in-process).
2. **Keystroke -> diagnostics + figures on screen, in the browser.** The real server
   (`funnelc serve`), headless chromium, a key typed into the editor; the page times
   from the edit to the findings and figures drawn (`data-keystroke-ms`), the 150 ms
   debounce included. Median of the same number of keystrokes. Target <= 300 ms.
2b. **The same two on a big account**: `gen_account.py --pipelines 10 --stages 20`
   (2 787 lines, 120 kB, 200 stages: a consultant's ten-pipeline account), server
   (`BIG` rows) and browser. No target of its own: docs/serve.md says how far past
   300 ms it goes, and where the time is (the parse is half of the server's share).
3. **First simulation results on screen, cottages.** Click "Run" (365 days, 8
   replications, the page's defaults) to the first replication's verdicts drawn
   (`data-first-sim-ms`). Target <= 2 s.

Rows 2-3 need chromium and chromedriver (skipped with a note without them); all need the
`serve` extra. Measured on a machine whose 2 cores are shared with other jobs: the
figures move by +-30 %.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from harness import ROOT, Result, median_call_time

RUNS = int(os.environ.get("BENCH_SERVE_RUNS", "20"))
SALESCHEF = ROOT / "pipelines" / "saleschef.funnel"
COTTAGES = ROOT / "pipelines" / "cottages.funnel"


def _big_account(folder: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from gen_account import generate

    path = folder / "big.funnel"
    path.write_text(generate(pipelines=10, stages=20), encoding="utf-8")
    return path


def _server_side() -> list[Result]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from funnelc.api import load_text
    from funnelc.lint.runner import lint_report
    from funnelc.serve.app import ServeState, create_app
    from funnelc.serve.simjobs import SimPool
    from funnelc.serve.workspace import Workspace

    text = SALESCHEF.read_text(encoding="utf-8")
    edits = [text.replace("size 4", f"size {4 + i % 3}", 1) for i in range(RUNS + 1)]
    state = ServeState(Workspace(str(SALESCHEF)), SimPool(1))
    counter = iter(range(10**9))
    with TestClient(create_app(state)) as client:
        def one() -> None:
            answer = client.post("/api/check", json={"text": edits[next(counter) % len(edits)]})
            assert answer.status_code == 200 and answer.json()["live"]["figures"]
        server = median_call_time(one, RUNS, warmup=2)
    reference = median_call_time(lambda: lint_report(load_text(text, "s.funnel")), RUNS)
    results = [Result("serve: keystroke -> diagnostics + exact figures, saleschef (server)",
                      server * 1e3, "ms", reference * 1e3, "load + lint in-process", 300.0,
                      note=f"POST /api/check, median of {RUNS}")]
    with tempfile.TemporaryDirectory() as tmp:
        big = _big_account(Path(tmp))
        text = big.read_text(encoding="utf-8")
        edits = [text.replace("size 2", f"size {2 + i % 3}", 1) for i in range(RUNS + 1)]
        state = ServeState(Workspace(str(big)), SimPool(1))
        with TestClient(create_app(state)) as client:
            def big_one() -> None:
                answer = client.post("/api/check",
                                     json={"text": edits[next(counter) % len(edits)]})
                assert answer.status_code == 200 and answer.json()["live"]["figures"]
            server = median_call_time(big_one, RUNS, warmup=2)
        reference = median_call_time(lambda: load_text(text, "big.funnel"), RUNS)
        results.append(Result("serve: keystroke -> diagnostics + exact figures, 10x20 account "
                              "(server)", server * 1e3, "ms", reference * 1e3,
                              "the parse alone (load_text)", None,
                              note=f"2 787 lines, POST /api/check, median of {RUNS}"))
    return results


def _browser() -> list[Result]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        return [Result("serve: browser rows", 0.0, "", 0.0, "skipped", None,
                       note="no chromium/chromedriver")]
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains

    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.binary_location = chromium
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        try:
            for name in ("saleschef", "big", "cottages"):
                path = Path(tmp) / f"{name}.funnel"
                if name == "big":
                    path = _big_account(Path(tmp))
                else:
                    shutil.copy(ROOT / "pipelines" / f"{name}.funnel", path)
                proc = subprocess.Popen([sys.executable, "-m", "funnelc", "serve", str(path),
                                         "--port", "0", "--no-browser", "--format", "json"],
                                        stdout=subprocess.PIPE, text=True)
                try:
                    lines = []
                    assert proc.stdout is not None
                    while not lines or lines[-1].rstrip() != "}":
                        lines.append(proc.stdout.readline())
                    url = json.loads("".join(lines))["url"]
                    driver.get(url)
                    _until(driver, "document.body.dataset.ready === '1'")
                    if name in ("saleschef", "big"):
                        results.append(_keystrokes(driver, ActionChains, name))
                    else:
                        time.sleep(3)  # the worker processes start with the server
                        driver.find_element("id", "tab-sim").click()
                        driver.find_element("id", "run").click()
                        ms = _until(driver, "Number(document.body.dataset.firstSimMs || 0)", 60)
                        results.append(Result(
                            "serve: first simulation results on screen, cottages (browser)",
                            float(ms) / 1e3, "s", 1.0, "one replication in-process (~1 s)",
                            2.0, note="365 days, 8 replications, 2 cores"))
                finally:
                    proc.terminate()
                    proc.wait(timeout=15)
        finally:
            driver.quit()
    return results


def _until(driver: object, expression: str, timeout: float = 20) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(f"return ({expression});")  # type: ignore[attr-defined]
        if value:
            return value
        time.sleep(0.02)
    raise TimeoutError(expression)


def _keystrokes(driver: object, chains: type, name: str) -> Result:
    import statistics

    samples = []
    for i in range(RUNS):
        driver.execute_script(  # type: ignore[attr-defined]
            "const v = window.funnelcEditor; const at = v.state.doc.toString()"
            ".indexOf('size ') + 5; v.dispatch({selection: {anchor: at}}); v.focus();")
        seen = int(driver.execute_script(  # type: ignore[attr-defined]
            "return Number(document.body.dataset.checked || 0);"))
        chains(driver).send_keys("1" if i % 2 == 0 else "\ue003").perform()  # digit, backspace
        _until(driver, f"Number(document.body.dataset.checked || 0) > {seen}")
        samples.append(float(driver.execute_script(  # type: ignore[attr-defined]
            "return Number(document.body.dataset.keystrokeMs);")))
        time.sleep(0.2)
    title = "saleschef" if name == "saleschef" else "10x20 account"
    return Result(f"serve: keystroke -> diagnostics + exact figures, {title} (browser)",
                  statistics.median(samples), "ms", 150.0, "the debounce",
                  300.0 if name == "saleschef" else None,
                  note=f"median of {RUNS} keystrokes, 150 ms debounce included")


def run() -> list[Result]:
    return [*_server_side(), *_browser()]


if __name__ == "__main__":
    for r in run():
        print(f"{r.name}: {r.value:.3g} {r.unit} (target {r.target}) {r.note}")
