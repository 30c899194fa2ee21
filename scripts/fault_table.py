"""Run the batch's fault suite and print its table: case, expected, observed, result.

    .venv/bin/python scripts/fault_table.py

The cases are the tests of tests/test_batch_faults.py: "expected" is each test's docstring,
"observed" what the test recorded (`record_property("observed", …)`) as it ran, "result"
pytest's outcome (a skipped case gives its reason).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tests" / "test_batch_faults.py"


def expectations() -> dict[str, str]:
    tree = ast.parse(SUITE.read_text("utf-8"))
    return {node.name: " ".join((ast.get_docstring(node) or "").split())
            for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        report = Path(work) / "faults.xml"
        subprocess.run([sys.executable, "-m", "pytest", "-q", str(SUITE), f"--junitxml={report}",
                        "-o", "junit_family=xunit1"], cwd=ROOT, check=False)
        cases = ET.parse(report).getroot().iter("testcase")
        expected = expectations()
        print("| case | expected | observed | result |")
        print("|---|---|---|---|")
        failed = False
        for case in cases:
            name = case.get("name", "")
            observed = {p.get("name"): p.get("value") for p in case.iter("property")}.get("observed", "—")
            result = "passed"
            for outcome in ("failure", "error", "skipped"):
                found = case.find(outcome)
                if found is not None:
                    result = f"{outcome}: {(found.get('message') or '').splitlines()[0][:160]}"
                    failed |= outcome != "skipped"
            title = name.removeprefix("test_").replace("_", " ")
            print(f"| {title} | {expected.get(name, '')} | {observed} | {result} |")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
