"""Shipped `kiosk-sim` scenarios (TOML); a package so the files install with `sim`."""
