"""`python -m vcat_tui` (the same as the `vcat` command)."""

from .app import main

if __name__ == "__main__":  # not when multiprocessing re-imports the main module in a helper process
    raise SystemExit(main())
