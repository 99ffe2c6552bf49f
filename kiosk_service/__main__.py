"""`python -m kiosk_service` is the `kiosk-service` command."""

from kiosk_service.cli import main

main(prog_name="kiosk-service")
