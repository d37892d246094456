"""The core's HTTP routes: server, repos, nodes, and dispatch to data instances."""
