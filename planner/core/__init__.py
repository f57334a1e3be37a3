"""The pure scheduling core: standard library only, no I/O, no clock. See README.md."""
