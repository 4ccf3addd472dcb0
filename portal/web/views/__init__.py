"""One module per page or API, each with `routes(state)`, like Datasette's views."""
