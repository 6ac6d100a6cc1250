"""``python -m bench`` / ``nox -s bench``: numbers-core against twilio-python, CPU per operation."""
