"""PostgreSQL tools: everything that reads, checks or plans SQL."""
