"""funnelc.report: `funnelc report FILE -o DIR`, the consultant's deliverable.

One run of the simulation and the exact maths, collected into tidy tables
(`report.data`), drawn (`report.plots`), written as a self-contained HTML page
(`report.html`), a JSON summary with its schema (`report.summary`), a tidy CSV
(`report.csv`), all atomically (`report.writer`). Imports numpy and matplotlib: the CLI
imports it only inside `funnelc report`.
"""
