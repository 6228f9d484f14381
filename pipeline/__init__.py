"""Translate Japanese Jekyll posts into English editions.

The data flows one way, one module per step:
post → frontmatter / segment → inline → glossary → translate (cache, engines) → qa → reassemble → write.
`pipeline.run` strings the steps together; `pipeline.cli` only parses options and prints.
"""

__version__ = "0.1.0"
