"""funnelc.history: learn a funnel from a CRM's stage history.

Readers (`read_amocrm`, `read_bitrix24`, `read_csv`, `read_records`) turn exports into one
normalised event table (`events.EVENT_SCHEMA`: one row per deal entering a stage, winning
or losing) plus a `quality.DataQuality` that counts every anomaly and every dropped row;
`transitions` turns events into stage visits; `analytics` builds the tables of
`funnelc history`, `fit` and `apply_fit` those of `funnelc fit`, `backtest` compares a fit
with the months it did not see.

The columnar engine is polars (imported by the modules that need it, never by the CLI
itself): its window expressions (`shift().over(deal)`) turn a million events into stage
visits without a Python loop, it reads CSV in parallel into Arrow memory (a million
events take tens of megabytes), and it is one self-contained wheel.
"""
