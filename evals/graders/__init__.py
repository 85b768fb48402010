"""Graders added with the broader suite: keys and constraints read from the DDL (`keys`), and
what the plans decide (`plans`: sizes as stated, sharding, technology runners-up, auxiliary
stores, destructive migration steps)."""
