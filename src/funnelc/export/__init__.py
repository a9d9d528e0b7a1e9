"""Exporters: one module per target, each turning the typed model into what that CRM
(or diagram tool, or reader) actually accepts. `registry.TARGETS` lists them; modules
are imported only when their target is asked for."""
