"""``python -m geo``: every command-line verb (:mod:`.main` builds the parser and dispatches; one
module per part of the system; :mod:`.common` what they share). Uses anything of ``geo``; nothing
in ``geo`` uses it."""
