"""Closed-form and exact analyses of funnels, used to validate the simulator and by `funnelc analyze`."""
