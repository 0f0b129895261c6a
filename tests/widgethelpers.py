"""Shared helpers for the headless explorer tests: the pictures an explorer shows, and their sizes."""

import io

import ipywidgets as widgets
from PIL import Image


def images(explorer) -> list[widgets.Image]:
    """Every ``Image`` widget inside ``explorer``'s box, however deeply nested."""
    stack, found = [explorer.box], []
    while stack:
        widget = stack.pop()
        if isinstance(widget, widgets.Image):
            found.append(widget)
        stack.extend(getattr(widget, "children", ()))
    return found


def png_size(image: widgets.Image) -> tuple[int, int]:
    """(width, height) of the PNG an ``Image`` widget holds."""
    return Image.open(io.BytesIO(image.value)).size
