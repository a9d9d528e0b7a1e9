"""funnelc.sim"""
