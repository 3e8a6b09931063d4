"""Reading and writing graph files (JSON, versioned). No Qt, no torch."""
from .fileformat import FORMAT_VERSION, FileFormatError, atomic_write, dumps, from_dict, load, loads, save, to_dict

__all__ = ["FORMAT_VERSION", "FileFormatError", "atomic_write", "dumps", "from_dict", "load", "loads", "save",
           "to_dict"]
