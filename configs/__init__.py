"""The shipped run configs, found by the installed package through importlib.resources."""
