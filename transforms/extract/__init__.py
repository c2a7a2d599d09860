"""Extract stage: ExtractArticles turns Pages into Articles and Teasers (articles.py): text dumps split by layout
(split.py), HTML pages by their markup (html.py, cards.py), bodies cleaned (clean.py), metadata read
(metadata.py); its settings in settings.py."""

from scrapeline.transforms.extract.articles import ExtractArticles

__all__ = ["ExtractArticles"]
