"""``dvc766 replica``: run the local portal replica in the foreground.

Why a thin wrapper: all checking (port, scenarios, faults, clock) happens in ``build_replica`` before
anything listens, so a bad argument becomes one ``UserError`` line and exit code 2, and a good start
prints exactly one line with the URL for scripts (``make demo``) to wait on.
"""

from __future__ import annotations

import argparse

from dvc766.cli import UserError
from replica.server import ReplicaConfigError, build_replica


def cmd_replica(args: argparse.Namespace) -> int:
    """Serve until interrupted; returns 0 on Ctrl-C."""
    try:
        server = build_replica(
            port=args.port,
            scenarios=list(args.scenario or []),
            faults=args.faults or "",
            now=args.now,
            seed=args.seed,
        )
    except ReplicaConfigError as exc:
        raise UserError(str(exc)) from None
    host, port = server.server_address[:2]
    clock = server.state.clock.now().isoformat(timespec="minutes") if args.now else "real time"
    scenarios = ",".join(str(s) for s in args.scenario) or "none"
    print(
        f"replica ready at http://{host}:{port} (seed {args.seed}, clock {clock}, scenarios {scenarios}, "
        f"faults {args.faults or 'none'})",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
