"""The shipped sample dumps (the default input of `scrapeline run`), found through importlib.resources."""
