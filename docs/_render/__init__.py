"""What the docs hooks (``docs/_hooks.py``) render, one module per kind of content.

Each module maps its markers to the functions that render them in ``RENDER``; ``common``
holds the Markdown and file helpers they share.
"""
