"""funnelc.importers"""
