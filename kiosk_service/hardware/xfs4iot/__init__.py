"""The XFS4IoT driver (`xfs4iot://`, `xfs4iots://`) and the message layer both sides use."""
