"""A faithful local replica of the portal's two APIs, for tests, benchmarks and the offline demo.

The real portal (dichvucong.gov.vn) cannot be reached from development machines, so everything that
talks to it is exercised against this replica instead: an HTTP server on 127.0.0.1 that answers
``POST /api/v1/reporting/<endpoint>`` and ``POST /jsp/rest.jsp`` in the real shapes.

Run it: ``dvc766 replica --port 8766 [--scenario real_bodies] [--faults SPEC] [--now 2026-10-31T23:00]
[--seed 766]``, or from Python::

    from replica.server import start_replica

    with start_replica(scenarios=["real_bodies"], now="2026-10-31T23:00") as replica:
        replica.url             # http://127.0.0.1:<port>
        replica.set_now("2026-11-03T08:00")
        replica.set_faults("dvc-progress-tree:5xx:2")
        replica.stats()         # requests per endpoint with their arrival times

Modules: ``server`` (HTTP, routing, fault application), ``state`` (what the server holds, how it
reads a request), ``units`` (provinces, agencies, communes and districts, named and identified),
``generator`` (deterministic counts), ``scoring`` (scores and metrics from counts, the portal's
rounding), ``shapes`` (the six group endpoints' body shapes), ``summary_shape`` (service-results),
``legacy_shapes`` (the legacy gateway's rows), ``catalogue`` (the procedure catalogue, ``formalities``),
``consistency`` (the replica's own consistency checks), ``scenarios`` (pinned real bodies), ``faults``
(the fault spec), ``clock`` (the simulated clock), ``cli`` (``dvc766 replica``).

Rules the replica follows, so tests can rely on them:

- v1 answers in the 34-province structure for every month (the API was built after the 2025
  reorganisation); the legacy gateway answers in the structure of the period: 63 provinces with
  ~20 agencies and ~9 districts before July 2025, 34 with ~15 agencies and ~100 communes from then.
- A month's own figures are published on the 3rd of the next month (Vietnam time); asked between
  its end and then, the month answers "not published yet" (envelope OK, no children, null figures;
  legacy ``[]``). The running month answers its figures so far (by the hour, as the portal's
  "current month" view moves daily). A quarter or year counts its ended months whole and the running
  month in part, so year-to-date depends on the clock and equals the sum of its months.
- A scenario may carry ``shocks`` (:mod:`replica.shocks`): from a time on the clock, some units of a
  province handle a share of a month's dossiers late, so the daily watch's rules have something to
  find on chosen days.
- A set clock is frozen; the HTTP ``Date`` header carries it.
"""
