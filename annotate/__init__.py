"""SourceDesk's domain: what is true of the work whatever stores it or shows it.

Rooms follow the data flow: `core` (models, taxonomy and scales, errors), `documents`,
`statements`, `suggest`, `agreement`, `exports`, `interchange`, `accounts`. Import from a
room (`from annotate.documents import parse_file`); this package itself exports nothing.
"""

__all__: list[str] = []
