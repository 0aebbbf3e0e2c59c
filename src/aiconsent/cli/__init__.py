"""The command-line interface: parse arguments, call the library, render, exit."""
