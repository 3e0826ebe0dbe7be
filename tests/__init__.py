"""Tests of newsletter: real servers on 127.0.0.1, real SQLite files, a real browser."""
