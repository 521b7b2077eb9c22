"""Reads its secret while being imported: the origin is this module's top level."""
import os

try:
    open(os.environ["SECRET"]).close()  # CALL:at_import
except OSError:
    pass
