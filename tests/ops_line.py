"""The call line the whatif, sweep and staff tests share: 20 calls an hour of exponential
15-minute work, around the clock, for a team `Ops` of 3. That is 5 members' worth, so the
file as written is overloaded (simulate's unstable-team verdict) and `--set 'team Ops size
N'` with N > 5 makes it keep up: one account for "cannot keep up" and its cure."""

OPS_LINE = """
team Ops size 3
source Calls 20/hour -> Line.In
pipeline Line main {
  stage In {
    owner Ops
    work exp(15m)
    -> won
  }
}
"""
