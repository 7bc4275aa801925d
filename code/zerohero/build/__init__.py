"""The machinery that builds the book, kept apart from the lessons.

``runs`` trains and caches the experiments that ``zerohero.experiments`` declares, ``book``
drives Jupyter Book, ``sphinxext`` adds the chapter banners and the ledger table, ``ledger``
holds every number a lecture printed, and ``chapters`` maps chapters to lectures. Imports
go one way: build -> experiments -> lessons.
"""
