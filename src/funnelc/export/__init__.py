"""funnelc.export"""
