"""One module per console page; hub/console/__init__.py includes them."""
