"""Panels: self-contained sections a page embeds with one ``render(...)`` call."""
