"""The summary `make fuzz` ends with: per operation, the cases schemathesis sent and the checks
that failed, read from its NDJSON report; then the totals. Exits 1 on any server error or
failed check.

Usage: python demo/fuzz_report.py var/fuzz/ndjson-*.ndjson
"""

import json
import sys
from collections import Counter


def summarise(lines) -> tuple[Counter, Counter, Counter]:
    """(cases, failed checks, server errors) per documented operation. A case of an operation's
    scenario counts for that operation (its probes with undocumented methods included); the
    stateful phase's scenarios chain operations, so each of its cases counts for its own."""
    cases, failures, server_errors = Counter(), Counter(), Counter()
    for line in lines:
        finished = json.loads(line).get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        labels = {}
        for case_id, case in recorder.get("cases", {}).items():
            value = case["value"]
            own = f"{value['method']} {value['path']}"
            labels[case_id] = own if finished["phase"] == "stateful" else recorder["label"]
            cases[labels[case_id]] += 1
        for case_id, checks in recorder.get("checks", {}).items():
            label = labels.get(case_id, recorder["label"])
            for check in checks:
                if check["status"] == "failure":
                    failures[label] += 1
                    if check["name"] == "not_a_server_error":
                        server_errors[label] += 1
    return cases, failures, server_errors


def main(paths: list[str]) -> int:
    cases, failures, server_errors = Counter(), Counter(), Counter()
    for path in paths:
        with open(path, encoding="utf-8") as lines:
            c, f, s = summarise(lines)
        cases.update(c)
        failures.update(f)
        server_errors.update(s)
    width = max((len(label) for label in cases), default=10)
    print(f"\n{'Operation':<{width}}  {'cases':>7}  {'failed':>6}")
    for label in sorted(cases, key=lambda label: label.split(" ", 1)[::-1]):
        print(f"{label:<{width}}  {cases[label]:>7}  {failures[label]:>6}")
    print(
        f"\n{sum(cases.values())} cases over {len(cases)} operations: "
        f"{sum(server_errors.values())} server errors, {sum(failures.values())} failed checks."
    )
    return 1 if failures or server_errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
