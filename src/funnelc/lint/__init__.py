"""funnelc.lint"""
