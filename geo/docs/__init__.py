"""Word documents in the 公文 layout (GB/T 9704): blocks of text, the page and fonts, numbers and
dates as the bureau writes them. Uses only :mod:`geo.core` (and python-docx)."""
