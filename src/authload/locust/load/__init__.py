"""The load path: virtual users and their cycles, arrivals, load shapes, the HTTP driver,
real-time sockets."""
