"""Build-time generators of the manual (the MkDocs site in docs/).

`hooks.py` is the MkDocs hook module (`hooks:` in mkdocs.yml). It adds the
pages written from code at build time - the recipe pages, the rule book, the
troubleshooting page, the API reference - and expands the `<!-- docs-gen: ... -->`
markers of the hand-written pages (includes, CLI output, example output).
Nothing it writes is checked in: edit the code (docstrings, rules, error
messages), not the generated text.

`citations.py` checks that every path, module, identifier, command and option a
page cites in backticks exists (`python -m docs_gen.citations PAGE.md ...`).
"""
