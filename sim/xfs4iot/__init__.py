"""XFS4IoT endpoint of the simulated dispenser (`kiosk-sim xfs4iot`)."""
