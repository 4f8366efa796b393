"""One module per evaluation suite; each returns its section of results.json."""
