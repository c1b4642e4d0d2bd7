"""The terminal's display layer: bitmap font, drawing canvas, screens, panel colours."""
