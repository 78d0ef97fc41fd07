"""Stand-ins the nginx and release tests drive instead of Docker and the real app."""
