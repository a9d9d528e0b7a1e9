"""`python -m funnelc.i18n extract|table`: the catalogs' upkeep (see `funnelc.i18n.main`)."""

from . import main

raise SystemExit(main())
