"""Panels: self-contained blocks of a page (one ``render()`` each) that several pages may embed."""
