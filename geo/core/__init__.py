"""Leaves every other package uses: errors (in Chinese and English), shared types, time in the
bureau's zone, settings (``forest.toml`` / ``FOREST_*``), coordinate systems and areas in 公顷/亩,
geometry fingerprints, evidence files, distances. Uses nothing else of ``geo``."""
