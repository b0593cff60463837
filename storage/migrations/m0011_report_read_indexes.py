"""0011: two small indexes the agreement report reads instead of two large tables.

The report needs every statement's document (headings and captions left out) and every
live document's outlet and publication date. Read from the tables, that is a scan of the
statements' and the documents' texts (about 570 MB for a million statements, 40% of the
database) for some 15 MB of values. Read from the statements' (document, position) index,
which holds each statement's id and document, an index of the few statements that are not
statements, and a covering index of the live documents (which also holds their language,
for the exports' language list), it is a scan of about 17 MB. A scan of pages the machine
has not read for a while waits on each page: this is the difference between a report that
starts at once and one that waits seconds. Both indexes together add about 0.1% to the
database."""

SQL = """
CREATE INDEX statements_not_statement ON statements(id) WHERE kind != 'statement';
CREATE INDEX documents_live ON documents(outlet, published, language, deleted) WHERE deleted = 0;
"""
