"""DubStudio: an offline subtitle-and-dub editor."""

__version__ = "0.1.0"
