"""`python -m funnelc` runs the `funnelc` command: useful where the console script is
not on PATH (a venv that is not activated, CI images, Windows)."""

from funnelc.cli import main

if __name__ == "__main__":
    main()
