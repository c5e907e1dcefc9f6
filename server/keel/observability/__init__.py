"""structlog setup (stderr + rotating file, JSON lines, redaction) and context binding."""
