"""Who may do what: accounts and roles with Argon2id passwords (:mod:`.auth`), sign-in sessions
(:mod:`.sessions`), the county gate every page and account-bound CLI call reads through
(:mod:`.scope`), the actor of a command-line change (:mod:`.actors`), per-user preferences.
Uses :mod:`geo.store`, :mod:`geo.declare` and :mod:`geo.core`."""
